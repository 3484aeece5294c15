-- checkJobs: checks one queue's part of a batch as createJobs would, changing nothing: sent for
-- every queue of a batch that spans queues, before any part is inserted, so that a batch refused
-- for a held unique key or a taken id inserts nothing anywhere (see QueueCalls.createJobs).
-- KEYS[1..8] the queue. ARGV as createJobs' (ARGV[2], the event token, is not read).
-- Returns { 'ok' } or createJobs' error reply { 'unique', key, holderId } / { 'duplicate-id', id }.
-- @include queue
local plan, err = planInsert(3, (#ARGV - 2) / JOB_ARGS, ARGV[1])
if not plan then return err end
return { 'ok' }
