-- Inserts new jobs and wakes their queues. $1 json array of new jobs, $2 channel or null.
-- Fails with 23505 on a held unique key.
WITH inserted AS (
  INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
    max_retries, timeout_ms, scheduled_at, created_at, unique_key)
  SELECT * FROM "{{schema}}"."{{prefix}}new_jobs"($1)
  RETURNING queue
)
SELECT "{{schema}}"."{{prefix}}notify_queues"($2, array(SELECT queue FROM inserted)) AS notified
