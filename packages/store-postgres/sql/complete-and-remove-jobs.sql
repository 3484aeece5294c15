-- $1 ids, $2 queues, $3 attempts, $4 holders. Returns the refs deleted (fenced as complete-jobs).
-- remove_completed_jobs() is planned once per connection
-- (migrations/011_cached_statement_plans.sql).
SELECT * FROM "{{schema}}"."{{prefix}}remove_completed_jobs"($1, $2, $3, $4)
