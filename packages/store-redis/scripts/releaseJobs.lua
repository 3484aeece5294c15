-- releaseJobs: hands running jobs back to the queue without penalty (pending at now, lease
-- cleared; retryCount, lostLeases, error and history untouched), fenced by their attempt.
-- ARGV[1] now, then id, attempt pairs. Returns 1 or 0 per pair: whether it was applied.
-- @include queue
-- @include events
local now = ARGV[1]
local applied, released = {}, 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt', 'priority', 'name')
  if state[1] == 'running' and state[2] == ARGV[i + 1] then
    redis.call('ZREM', RUNNING, id)
    redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
    redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now)
    enterWaiting(id, state[4], state[3], now)
    released = released + 1
    applied[#applied + 1] = 1
  else
    applied[#applied + 1] = 0
  end
end
if released > 0 then
  count('running', -released)
  count('pending', released)
  publishJobs()
end
return applied
