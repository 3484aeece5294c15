-- $1 id, $2 queue, $3 attempt, $4 holder, $5 now, $6 until, $7 scope ('queue' or 'group'), $8
-- channel or null. Returns the job's queue when the ref was current (no row when stale).
--
-- The job waits again at `until` without penalty (only status, due time and lease change), and in
-- the same statement its group (scope 'group' and a job with a group) or its queue is pushed back
-- to `until`, never to an earlier time than it already was. A queue pushed back shows in getQueue
-- from then on (updated_at is set when it had no controls). The queue is woken, so that every
-- instance looks again at when its next job is due.
WITH waiting AS (
  UPDATE "{{schema}}"."{{prefix}}jobs"
  SET status = CASE WHEN $6::timestamptz > $5::timestamptz THEN 'scheduled' ELSE 'pending' END,
    scheduled_at = $6::timestamptz, locked_until = NULL, locked_by = NULL
  WHERE id = $1 AND queue = $2
    AND "{{schema}}"."{{prefix}}holds_lease"(status, attempt, locked_by, $3, $4)
  RETURNING queue, group_key
), queue_pushed AS (
  INSERT INTO "{{schema}}"."{{prefix}}queues" AS q (name, limited_until, updated_at)
  SELECT w.queue, $6::timestamptz, $5::timestamptz FROM waiting AS w
  WHERE $7::text = 'queue' OR w.group_key IS NULL
  ON CONFLICT (name) DO UPDATE SET limited_until = greatest(q.limited_until, excluded.limited_until),
    updated_at = coalesce(q.updated_at, excluded.updated_at)
), group_pushed AS (
  INSERT INTO "{{schema}}"."{{prefix}}queue_groups" AS g (queue, group_key, limited_until)
  SELECT w.queue, w.group_key, $6::timestamptz FROM waiting AS w
  WHERE $7::text = 'group' AND w.group_key IS NOT NULL
  ON CONFLICT (queue, group_key) DO UPDATE SET limited_until = greatest(g.limited_until, excluded.limited_until)
), group_queue AS (
  -- The queue of a pushed-back group claims under its controls (it has a row since its first
  -- job with a group; this covers a row lost since).
  INSERT INTO "{{schema}}"."{{prefix}}queues" (name)
  SELECT w.queue FROM waiting AS w
  WHERE $7::text = 'group' AND w.group_key IS NOT NULL
    AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = w.queue)
  ON CONFLICT (name) DO NOTHING
)
SELECT queue, "{{schema}}"."{{prefix}}notify_queues"($8, ARRAY[queue]) >= 0 AS notified FROM waiting
