-- $1 now, $2 limit, $3 lockedUntil, $4 workerId, $5 queues or null for all, $6 names or null for
-- all. The claim function (migrations/005_queue_controls.sql) keeps the queues' controls, locks
-- and leases the batch in one statement, and returns each queue's jobs in its claim order.
SELECT * FROM "{{schema}}"."{{prefix}}claim_due_jobs"($1, $2, $3, $4, $5, $6)
