-- requeueJob: moves a dead or cancelled job back to pending at now, retaking its uniqueKey.
-- ARGV[1] id, ARGV[2] now. Returns { 'ok', job }, { 'unique', key, holderId }, or false when the
-- job does not exist. A job in another status is returned unchanged.
-- @include queue
local id, now = ARGV[1], ARGV[2]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'priority', 'uniqueKey')
local status = state[1]
if not status then return false end
if status ~= 'dead' and status ~= 'cancelled' then return { 'ok', readJob(key) } end
local uniqueKey = state[3]
if uniqueKey then
  local holder = redis.call('HGET', UNIQUE, uniqueKey)
  if holder and holder ~= id then return { 'unique', uniqueKey, holder } end
  redis.call('HSET', UNIQUE, uniqueKey, id)
end
redis.call('ZREM', status == 'dead' and DEAD or CANCELLED, id)
redis.call('PERSIST', key)
redis.call('HDEL', key, 'completedAt')
redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now, 'retryCount', 0)
enterWaiting(id, state[2], now)
count(status, -1)
count('pending', 1)
return { 'ok', readJob(key) }
