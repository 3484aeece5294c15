-- $1 queues or null for all, $2 names or null for all: the earliest scheduled_at of a waiting job.
SELECT "{{schema}}"."{{prefix}}next_due_at"($1, $2) AS next_due_at
