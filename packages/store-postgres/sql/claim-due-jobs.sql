-- $1 now, $2 limit, $3 lockedUntil, $4 workerId, $5 queues or null for all, $6 names or null for
-- all. The claim function (migrations/002_job_life.sql) locks and leases the batch in one
-- statement; its rows come back in no particular order, hence the sort.
SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"($1, $2, $3, $4, $5, $6)
ORDER BY priority DESC, scheduled_at, id
