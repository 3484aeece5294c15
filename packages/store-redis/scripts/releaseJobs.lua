-- releaseJobs: hands running jobs back to the queue without penalty (pending at now, lease
-- cleared; retryCount, lostLeases, error and history untouched), fenced by their attempt and
-- lease holder. ARGV[1] now, then id, attempt, lockedBy triples. Returns 1 or 0 per triple:
-- whether it was applied.
-- @include queue
-- @include events
local now = ARGV[1]
local applied, released = {}, 0
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy', 'priority', 'name', 'group',
    'createdAt')
  if holds(state, ARGV[i + 1], ARGV[i + 2]) then
    leaveRunning(id, state[6])
    redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
    redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now)
    enterWaiting(id, state[5], state[4], now, state[6])
    relist(id, state[7], 'running', 'pending')
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
