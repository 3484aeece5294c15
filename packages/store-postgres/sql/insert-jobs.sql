-- Inserts new jobs and wakes their queues. $1 json array of new jobs, $2 channel or null.
-- Fails with 23505 on a held unique key.
--
-- A job with a group gives its queue a row in the queues table (when it has none yet), so that its
-- groups rotate (see migrations/005_queue_controls.sql). The NOT EXISTS reads the snapshot: once
-- the row is there, an enqueue never waits on a claim that holds it.
WITH inserted AS (
  INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
    max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key)
  SELECT * FROM "{{schema}}"."{{prefix}}new_job_rows"($1)
  RETURNING queue, group_key
), grouped AS (
  INSERT INTO "{{schema}}"."{{prefix}}queues" (name)
  SELECT DISTINCT i.queue FROM inserted AS i
  WHERE i.group_key IS NOT NULL
    AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = i.queue)
  ON CONFLICT (name) DO NOTHING
), arrived AS (
  -- The groups of the inserted jobs (re)join their queue's rotation at its next claim.
  INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
  SELECT DISTINCT i.queue, i.group_key FROM inserted AS i WHERE i.group_key IS NOT NULL
)
SELECT "{{schema}}"."{{prefix}}notify_queues"($2, array(SELECT queue FROM inserted)) AS notified
