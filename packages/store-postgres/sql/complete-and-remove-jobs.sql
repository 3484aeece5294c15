-- $1 ids, $2 queues, $3 attempts, $4 holders. Returns the refs deleted (fenced as complete-jobs).
DELETE FROM "{{schema}}"."{{prefix}}jobs" AS j
USING "{{schema}}"."{{prefix}}job_refs"($1, $2, $3, $4) AS ref
WHERE j.id = ref.id AND j.queue = ref.queue
  AND "{{schema}}"."{{prefix}}holds_lease"(j.status, j.attempt, j.locked_by, ref.attempt, ref.locked_by)
RETURNING j.id, j.queue, j.attempt, ref.locked_by AS "lockedBy"
