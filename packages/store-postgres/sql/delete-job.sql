-- $1 id. Deletes the job unless it is running (its unique key goes with its row). Returns the job
-- as it was; no row when it does not exist or is running.
DELETE FROM "{{schema}}"."{{prefix}}jobs" WHERE id = $1 AND status <> 'running' RETURNING *
