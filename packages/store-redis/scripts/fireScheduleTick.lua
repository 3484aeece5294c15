-- fireScheduleTick: the compare-and-set of a schedule's nextRunAt together with the insert of the
-- tick's jobs, in one step (docs/architecture.md §4: a tick fires exactly once). The schedule lives in the
-- slot of its job template's queue, so both are here.
-- KEYS[1..8] the queue, KEYS[9] the schedule, KEYS[10] (optional) the prefix's queue set (see
-- registerQueue). ARGV[1] expectedNextRunAt, ARGV[2] nextRunAt
-- ('' = ended), ARGV[3] firedAt, ARGV[4] how many jobs the tick has (all queues), ARGV[5..7] the
-- condition on the definition stamp ('' or 'expect', definedAt, definedBy: see
-- includes/schedule.lua), then JOB_ARGS arguments per job of this queue. A job whose uniqueKey is
-- held is skipped.
-- Returns { 0 } when the CAS fails, { 1 or 2, id... } when the tick fired (2: the queue is new to
-- Redis, see createJobs.lua), or an error reply.
-- @include queue
-- @include events
-- @include schedule
local schedule = KEYS[9]
local current = redis.call('HGET', schedule, 'nextRunAt')
if not current or current ~= ARGV[1] then return { 0 } end
if not scheduleWritable(schedule, ARGV[5], ARGV[6], ARGV[7]) then return { 0 } end
local fresh = redis.call('EXISTS', COUNTS) == 0
local plan, err = planInsert(8, (#ARGV - 7) / JOB_ARGS, 'skip')
if not plan then return err end
local inserted = applyInsert(plan)
if ARGV[2] == '' then
  redis.call('HDEL', schedule, 'nextRunAt')
else
  redis.call('HSET', schedule, 'nextRunAt', ARGV[2])
end
redis.call('HSET', schedule, 'lastRunAt', ARGV[3], 'updatedAt', ARGV[3])
redis.call('HINCRBY', schedule, 'occurrences', tonumber(ARGV[4]))
registerQueue(9)
if #inserted > 0 then publishJobs() end
table.insert(inserted, 1, fresh and 2 or 1)
return inserted
