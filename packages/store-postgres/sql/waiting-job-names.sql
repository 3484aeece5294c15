-- $1 queues or null for all, $2 dueBy, $3 most names, $4 most names looked at. Returns `names`.
SELECT "{{schema}}"."{{prefix}}waiting_job_names"($1, $2, $3, $4) AS names
