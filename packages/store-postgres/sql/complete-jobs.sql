-- $1 now, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs completed: only the
-- attempt and holder of a lease may record its outcome (holds_lease, the fencing check).
UPDATE "{{schema}}"."{{prefix}}jobs" AS j
SET status = 'completed', completed_at = $1, locked_until = NULL, locked_by = NULL
FROM "{{schema}}"."{{prefix}}job_refs"($2, $3, $4, $5) AS ref
WHERE j.id = ref.id AND j.queue = ref.queue
  AND "{{schema}}"."{{prefix}}holds_lease"(j.status, j.attempt, j.locked_by, ref.attempt, ref.locked_by)
RETURNING j.id, j.queue, j.attempt, ref.locked_by AS "lockedBy"
