-- $1 queues or null for all, $2 names or null for all: the earliest scheduled_at of a waiting job,
-- leaving paused queues out.
SELECT "{{schema}}"."{{prefix}}next_due_at_unpaused"($1, $2) AS next_due_at
