-- $1 now, $2 ids, $3 queues, $4 attempts, $5 holders, $6 channel or null. Returns the refs
-- released. A hand-back without penalty: only the status, due time and lease change.
-- release_jobs() is planned once per connection and finds the jobs by primary key in the order of
-- the refs (migrations/018_lease_changes_by_key.sql).
SELECT * FROM "{{schema}}"."{{prefix}}release_jobs"($1, $2, $3, $4, $5, $6)
