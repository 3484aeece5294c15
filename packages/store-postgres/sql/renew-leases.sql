-- $1 lockedUntil, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs renewed: only the
-- attempt and holder of a lease may renew it (the fencing check). renew_leases() is planned once
-- per connection and finds the jobs by primary key in the order of the refs
-- (migrations/018_lease_changes_by_key.sql).
SELECT * FROM "{{schema}}"."{{prefix}}renew_leases"($1, $2, $3, $4, $5)
