-- requeueJob: moves a dead or cancelled job back to pending at now with a fresh budget (retryCount
-- and lostLeases 0), retaking its uniqueKey. ARGV[1] id, ARGV[2] now. Returns { 'ok', 1, job }
-- when requeued, { 'ok', 0, job } for a job in another status (unchanged),
-- { 'unique', key, holderId }, or false when the job does not exist.
-- @include queue
-- @include events
local id, now = ARGV[1], ARGV[2]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'priority', 'uniqueKey', 'name', 'group')
local status = state[1]
if not status then return false end
if status ~= 'dead' and status ~= 'cancelled' then return { 'ok', 0, readJob(key) } end
local uniqueKey = state[3]
if uniqueKey then
  local holder = redis.call('HGET', UNIQUE, uniqueKey)
  if holder and holder ~= id then return { 'unique', uniqueKey, holder } end
  redis.call('HSET', UNIQUE, uniqueKey, id)
end
redis.call('ZREM', status == 'dead' and DEAD or CANCELLED, id)
redis.call('PERSIST', key)
redis.call('HDEL', key, 'completedAt')
redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now, 'retryCount', 0, 'lostLeases', 0)
enterWaiting(id, state[4], state[2], now, state[5])
count(status, -1)
count('pending', 1)
publishJobs()
return { 'ok', 1, readJob(key) }
