-- recoverExpiredLeases: returns running jobs whose lease expired (lockedUntil <= now) to pending.
-- ARGV[1] now, ARGV[2] error for the history, ARGV[3] max history, then the candidate ids
-- (chosen by the client across queues; each is checked again here). Returns the ids recovered.
-- @include queue
local now, message, maxHistory = ARGV[1], ARGV[2], tonumber(ARGV[3])
local recovered = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'lockedUntil', 'attempt', 'priority')
  if state[1] == 'running' and tonumber(state[2]) <= tonumber(now) then
    appendFailure(key, state[3], message, now, maxHistory)
    redis.call('ZREM', RUNNING, id)
    redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
    redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now)
    enterWaiting(id, state[4], now)
    count('running', -1)
    count('pending', 1)
    recovered[#recovered + 1] = id
  end
end
return recovered
