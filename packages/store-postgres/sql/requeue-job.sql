-- $1 id, $2 now, $3 channel or null. Returns the job and whether it was requeued (`requeued`).
-- A requeued job starts over with a fresh budget: retry_count and lost_leases back to 0 (attempt
-- keeps rising: it is the fencing token). A job with a group brings its group back into its
-- queue's rotation (see group_arrivals in migrations/005_queue_controls.sql).
WITH requeued AS (
  UPDATE "{{schema}}"."{{prefix}}jobs"
  SET status = 'pending', scheduled_at = $2, retry_count = 0, lost_leases = 0, completed_at = NULL
  WHERE id = $1 AND status IN ('dead', 'cancelled')
  RETURNING *
), arrived AS (
  INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
  SELECT r.queue, r.group_key FROM requeued AS r WHERE r.group_key IS NOT NULL
), notified AS (
  SELECT "{{schema}}"."{{prefix}}notify_queues"($3, array(SELECT queue FROM requeued)) AS sent
)
SELECT *, (SELECT sent FROM notified) >= 0 AS requeued FROM requeued
UNION ALL
-- FOR SHARE: the row as last committed. The statement's snapshot may predate a change committed
-- while this statement waited for the row (another requeue, a retry): reading the row without the
-- lock would return its former status.
SELECT *, false FROM (
  SELECT * FROM "{{schema}}"."{{prefix}}jobs" WHERE id = $1 FOR SHARE
) AS latest
WHERE NOT EXISTS (SELECT FROM requeued)
