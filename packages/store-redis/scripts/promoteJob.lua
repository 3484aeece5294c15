-- promoteJob: makes a scheduled or failed job due now (pending, scheduledAt = now, its counters
-- unchanged) and publishes a jobs event; a job in another status is left as it is.
-- ARGV[1] id, ARGV[2] now. Returns the job afterwards, or false when it does not exist.
-- @include queue
-- @include events
local id, now = ARGV[1], ARGV[2]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'priority', 'name', 'group', 'createdAt')
local status = state[1]
if not status then return false end
if status == 'scheduled' or status == 'failed' then
  leaveWaiting(id, state[3], state[2], state[4])
  redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now)
  enterWaiting(id, state[3], state[2], now, state[4])
  relist(id, state[5], status, 'pending')
  count(status, -1)
  count('pending', 1)
  publishJobs()
end
return readJob(key)
