-- $1 json array of the one new job, $2 dedupe key, $3 mode ('throttle' or 'debounce'), $4 ttl in
-- ms, $5 maxWait in ms or null, $6 now, $7 channel or null. Returns `outcome`, `window_job_id` and
-- `job` (the window's job as JSON, or null). See migrations/005_queue_controls.sql.
SELECT * FROM "{{schema}}"."{{prefix}}create_deduped_job"($1, $2, $3, $4, $5, $6, $7)
