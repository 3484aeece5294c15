-- createJobs: inserts a batch of jobs into one queue, all or nothing.
-- ARGV[1] mode ('reject' | 'skip'), ARGV[2] queue, then JOB_ARGS arguments per job.
-- Returns { 'ok', id... } or an error reply { 'unique', key, holderId } / { 'duplicate-id', id }.
-- @include queue
local n = (#ARGV - 2) / JOB_ARGS
local plan, err = planInsert(3, n, ARGV[1])
if not plan then return err end
local inserted = applyInsert(plan, ARGV[2])
table.insert(inserted, 1, 'ok')
return inserted
