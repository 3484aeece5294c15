-- recoverExpiredLeases: running jobs whose lease expired (lockedUntil <= now) lose it: lostLeases
-- + 1, lease cleared, a history entry with `error`. A job that had already lost `maxLostLeases`
-- leases becomes dead (keeping its error, or `error` when it had none) with its dead-letter job,
-- if any; every other one becomes pending at now.
-- ARGV[1] now, ARGV[2] error, ARGV[3] max history, ARGV[4] maxLostLeases, ARGV[5] ttl seconds,
-- ARGV[6..9] the dead-letter options (see includes/dead-letter.lua), then the candidate ids,
-- longest expired first (chosen by the client across queues; each is checked again here).
-- Returns { ids made pending, jobs made dead }.
-- @include queue
-- @include events
-- @include dead-letter
local now, message, maxHistory, maxLost, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local letter = deadLetterArgs(6)
local recovered, dead, wake = {}, {}, false
for i = 10, #ARGV do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'lockedUntil', 'attempt', 'priority', 'name',
    'lostLeases', 'error', 'uniqueKey', 'group', 'createdAt')
  if state[1] == 'running' and tonumber(state[2]) <= tonumber(now) then
    local lost = tonumber(state[6] or '0')
    appendFailure(key, state[3], message, now, maxHistory)
    leaveRunning(id, state[9])
    count('running', -1)
    redis.call('HSET', key, 'lostLeases', lost + 1)
    if lost >= maxLost then
      if not state[7] then redis.call('HSET', key, 'error', message) end
      releaseUnique(state[8], id)
      finish(key, id, 'running', 'dead', DEAD, now, ttl, state[10])
      if insertDeadLetter(letter, id, state[5], state[3], now) then wake = true end
      dead[#dead + 1] = readJob(key)
    else
      redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
      redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now)
      enterWaiting(id, state[5], state[4], now, state[9])
      relist(id, state[10], 'running', 'pending')
      count('pending', 1)
      recovered[#recovered + 1] = id
      wake = true
    end
  end
end
if wake then publishJobs() end
return { recovered, dead }
