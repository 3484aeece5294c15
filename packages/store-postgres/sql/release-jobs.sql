-- $1 now, $2 ids, $3 queues, $4 attempts, $5 holders, $6 channel or null. Returns the refs
-- released. A hand-back without penalty: only the status, due time and lease change.
WITH released AS (
  UPDATE "{{schema}}"."{{prefix}}jobs" AS j
  SET status = 'pending', scheduled_at = $1, locked_until = NULL, locked_by = NULL
  FROM "{{schema}}"."{{prefix}}job_refs"($2, $3, $4, $5) AS ref
  WHERE j.id = ref.id AND j.queue = ref.queue
    AND "{{schema}}"."{{prefix}}holds_lease"(j.status, j.attempt, j.locked_by, ref.attempt, ref.locked_by)
  RETURNING j.id, j.queue, j.attempt, ref.locked_by AS "lockedBy"
), notified AS (
  SELECT "{{schema}}"."{{prefix}}notify_queues"($6, array(SELECT queue FROM released)) AS sent
)
SELECT id, queue, attempt, "lockedBy" FROM released WHERE (SELECT sent FROM notified) >= 0
