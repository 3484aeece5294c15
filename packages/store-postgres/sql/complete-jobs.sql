-- $1 now, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs completed: only the
-- attempt and holder of a lease may record its outcome (holds_lease, the fencing check).
-- complete_jobs() is planned once per connection (migrations/011_cached_statement_plans.sql).
SELECT * FROM "{{schema}}"."{{prefix}}complete_jobs"($1, $2, $3, $4, $5)
