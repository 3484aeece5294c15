-- Inserts new jobs and wakes their queues. $1 json array of new jobs (or the columnar form), $2
-- channel or null. Fails with 23505 on a held unique key. create_jobs() is planned once per
-- connection (migrations/011_cached_statement_plans.sql).
SELECT "{{schema}}"."{{prefix}}create_jobs"($1, $2) AS notified
