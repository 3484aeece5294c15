-- $1 id, $2 queue, $3 attempt, $4 now, $5 retryAt or null, $6 error, $7 now as ISO text, $8 max
-- history, $9 channel or null, $10..$13 the dead-letter job's name (null for none), priority, max
-- retries and timeout, $14 the dead-letter metadata key, $15 the lease holder. Returns the job
-- afterwards.
--
-- A retry wakes the queue (the job is due again at retryAt); a death inserts its dead-letter job
-- in the same statement, so the two commit together, and wakes the dead letter's queue.
WITH failed AS (
  UPDATE "{{schema}}"."{{prefix}}jobs"
  SET status = CASE WHEN $5::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
    retry_count = retry_count + CASE WHEN $5::timestamptz IS NULL THEN 0 ELSE 1 END,
    scheduled_at = coalesce($5::timestamptz, scheduled_at),
    completed_at = CASE WHEN $5::timestamptz IS NULL THEN $4::timestamptz END,
    error = $6::text,
    locked_until = NULL,
    locked_by = NULL,
    history = "{{schema}}"."{{prefix}}history_with_failure"(history, attempt, $6, $7, $8)
  WHERE id = $1 AND queue = $2
    AND "{{schema}}"."{{prefix}}holds_lease"(status, attempt, locked_by, $3, $15)
  RETURNING *
), followed AS (
  SELECT "{{schema}}"."{{prefix}}after_failures"(
    (SELECT json_agg(f) FROM (SELECT id, queue, name, status, attempt FROM failed) AS f),
    $9, $4, $10, $11, $12, $13, $14) AS sent
)
SELECT *, (SELECT sent FROM followed) >= 0 AS notified FROM failed
