-- createJobs: inserts a batch of jobs into one queue, all or nothing, registers the queue and
-- publishes a jobs event: an enqueue is this one command.
-- KEYS[1..8] the queue, KEYS[9] (optional) the prefix's queue set (see registerQueue).
-- ARGV[1] mode ('reject' | 'skip'), ARGV[2] the event's token ('' for none, see
-- includes/events.lua), then JOB_ARGS arguments per job.
-- Returns { 'ok', id... } or an error reply { 'unique', key, holderId } / { 'duplicate-id', id }.
-- When the queue is new to Redis (its counts hash did not exist), the reply starts with 'new'
-- instead of 'ok', so that a client that registers queues itself (on a Cluster) registers it
-- again (after a restart).
-- @include queue
-- @include events
local fresh = redis.call('EXISTS', COUNTS) == 0
local plan, err = planInsert(3, (#ARGV - 2) / JOB_ARGS, ARGV[1])
if not plan then return err end
local inserted = applyInsert(plan)
registerQueue(8)
if #inserted > 0 then publishJobs(ARGV[2]) end
table.insert(inserted, 1, fresh and 'new' or 'ok')
return inserted
