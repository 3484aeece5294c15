-- createJobs: inserts a batch of jobs into one queue, all or nothing, and publishes a jobs event.
-- ARGV[1] mode ('reject' | 'skip'), then JOB_ARGS arguments per job.
-- Returns { 'ok', id... } or an error reply { 'unique', key, holderId } / { 'duplicate-id', id }.
-- When the queue is new to Redis (its counts hash did not exist), the reply starts with 'new'
-- instead of 'ok', so that the client registers the queue (again, after a restart).
-- @include queue
-- @include events
local fresh = redis.call('EXISTS', COUNTS) == 0
local plan, err = planInsert(2, (#ARGV - 1) / JOB_ARGS, ARGV[1])
if not plan then return err end
local inserted = applyInsert(plan)
if #inserted > 0 then publishJobs() end
table.insert(inserted, 1, fresh and 'new' or 'ok')
return inserted
