-- Inserts new jobs, then claims due jobs, in one transaction (migrations/008_enqueue_claim.sql).
-- $1 json array of new jobs, $2 channel or null, $3 now, $4 limit, $5 lockedUntil, $6 workerId,
-- $7 queues or null for all, $8 names or null for all. Returns the claimed jobs. Fails with 23505
-- on a held unique key, before anything is claimed.
SELECT * FROM "{{schema}}"."{{prefix}}create_jobs_and_claim"($1, $2, $3, $4, $5, $6, $7, $8)
