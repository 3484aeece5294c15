-- $1 now, $2 limit, $3 now as ISO text, $4 error, $5 max history, $6 channel or null, $7 max lost
-- leases, $8..$11 the dead-letter job's name (null for none), priority, max retries and timeout,
-- $12 the dead-letter metadata key. Returns the jobs recovered, longest expired first.
--
-- Each expired job counts one more lost lease; one that had already lost $7 becomes dead (keeping
-- its last error, or taking this one) with its dead-letter job, in the same statement; the others
-- wait again at once.
WITH expired AS (
  SELECT id, locked_until FROM "{{schema}}"."{{prefix}}jobs"
  WHERE status = 'running' AND locked_until <= $1
  ORDER BY locked_until, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), recovered AS (
  UPDATE "{{schema}}"."{{prefix}}jobs" AS j
  SET status = CASE WHEN j.lost_leases >= $7::integer THEN 'dead' ELSE 'pending' END,
    lost_leases = j.lost_leases + 1,
    scheduled_at = CASE WHEN j.lost_leases >= $7::integer THEN j.scheduled_at ELSE $1 END,
    completed_at = CASE WHEN j.lost_leases >= $7::integer THEN $1::timestamptz END,
    error = CASE WHEN j.lost_leases >= $7::integer THEN coalesce(j.error, $4::text) ELSE j.error END,
    locked_until = NULL,
    locked_by = NULL,
    history = "{{schema}}"."{{prefix}}history_with_failure"(j.history, j.attempt, $4, $3, $5)
  FROM expired WHERE j.id = expired.id
  RETURNING j.*, expired.locked_until AS expired_at
), followed AS (
  SELECT "{{schema}}"."{{prefix}}after_failures"(
    (SELECT json_agg(r) FROM (SELECT id, queue, name, status, attempt FROM recovered) AS r),
    $6, $1, $8, $9, $10, $11, $12) AS sent
)
SELECT *, (SELECT sent FROM followed) >= 0 AS notified FROM recovered
ORDER BY expired_at, id
