-- $1 ids, $2 queues, $3 attempts, $4 holders. Returns the refs deleted (fenced as complete-jobs).
-- complete_and_remove_jobs() is planned once per connection
-- (migrations/011_cached_statement_plans.sql).
SELECT * FROM "{{schema}}"."{{prefix}}complete_and_remove_jobs"($1, $2, $3, $4)
