-- cancelJob: a scheduled, pending, failed or running job becomes cancelled (fencing off a running
-- attempt, whose instance is told by a cancelled event); a final job is left as it is.
-- ARGV[1] id, ARGV[2] now, ARGV[3] ttl seconds. Returns the job afterwards, or false when it does
-- not exist.
-- @include queue
-- @include events
local id, now, ttl = ARGV[1], ARGV[2], ARGV[3]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'priority', 'uniqueKey', 'name', 'attempt', 'group', 'createdAt')
local status = state[1]
if not status then return false end
if status == 'completed' or status == 'dead' or status == 'cancelled' then return readJob(key) end
if status == 'running' then
  leaveRunning(id, state[6])
else
  leaveWaiting(id, state[4], state[2], state[6])
end
count(status, -1)
releaseUnique(state[3], id)
finish(key, id, status, 'cancelled', CANCELLED, now, ttl, state[7])
if status == 'running' then publishCancelled(id, state[5]) end
return readJob(key)
