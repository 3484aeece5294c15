-- $1 statuses or null, $2 queue, $3 name, $4 group, $5 created from, $6 created before (each null
-- for any), $7 now, $8 channel or null. Returns how many jobs moved back to pending per queue
-- (`moved_queue`, `moved`); see retry_jobs in migrations/006_operations.sql.
SELECT * FROM "{{schema}}"."{{prefix}}retry_jobs"($1, $2, $3, $4, $5, $6, $7, $8)
