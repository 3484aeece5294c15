-- failJob: records a failed attempt of a running job; it waits for its retry ('failed') or is dead,
-- in which case its dead-letter job, if any, is inserted in the same step.
-- Fenced by the attempt and the lease holder. ARGV[1] id, ARGV[2] attempt, ARGV[3] lockedBy,
-- ARGV[4] now, ARGV[5] error, ARGV[6] retryAt ('' = dead), ARGV[7] ttl seconds, ARGV[8] max
-- history, ARGV[9..12] the dead-letter options (see includes/dead-letter.lua). Returns the job
-- afterwards, or false for a stale ref.
-- @include queue
-- @include events
-- @include dead-letter
local id, attempt, now, message, retryAt, ttl = ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy', 'uniqueKey', 'priority', 'name',
  'group', 'createdAt')
if not holds(state, attempt, ARGV[3]) then return false end
appendFailure(key, attempt, message, now, tonumber(ARGV[8]))
leaveRunning(id, state[7])
count('running', -1)
redis.call('HSET', key, 'error', message)
if retryAt ~= '' then
  redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
  redis.call('HSET', key, 'status', 'failed', 'scheduledAt', retryAt)
  redis.call('HINCRBY', key, 'retryCount', 1)
  enterWaiting(id, state[6], state[5], retryAt, state[7])
  relist(id, state[8], 'running', 'failed')
  count('failed', 1)
  publishJobs()
else
  releaseUnique(state[4], id)
  finish(key, id, 'running', 'dead', DEAD, now, ttl, state[8])
  if insertDeadLetter(deadLetterArgs(9), id, state[6], attempt, now) then publishJobs() end
end
return readJob(key)
