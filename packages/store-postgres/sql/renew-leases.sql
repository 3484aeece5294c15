-- $1 lockedUntil, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs renewed.
UPDATE "{{schema}}"."{{prefix}}jobs" AS j SET locked_until = $1
FROM "{{schema}}"."{{prefix}}job_refs"($2, $3, $4, $5) AS ref
WHERE j.id = ref.id AND j.queue = ref.queue
  AND "{{schema}}"."{{prefix}}holds_lease"(j.status, j.attempt, j.locked_by, ref.attempt, ref.locked_by)
RETURNING j.id, j.queue, j.attempt, ref.locked_by AS "lockedBy"
