-- failJob: records a failed attempt of a running job; it waits for its retry ('failed') or is dead,
-- in which case its dead-letter job, if any, is inserted in the same step.
-- ARGV[1] id, ARGV[2] attempt, ARGV[3] now, ARGV[4] error, ARGV[5] retryAt ('' = dead),
-- ARGV[6] ttl seconds, ARGV[7] max history, ARGV[8..11] the dead-letter options (see
-- includes/dead-letter.lua). Returns the job afterwards, or false for a stale ref.
-- @include queue
-- @include events
-- @include dead-letter
local id, attempt, now, message, retryAt, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'attempt', 'uniqueKey', 'priority', 'name')
if state[1] ~= 'running' or state[2] ~= attempt then return false end
appendFailure(key, attempt, message, now, tonumber(ARGV[7]))
redis.call('ZREM', RUNNING, id)
count('running', -1)
redis.call('HSET', key, 'error', message)
if retryAt ~= '' then
  redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
  redis.call('HSET', key, 'status', 'failed', 'scheduledAt', retryAt)
  redis.call('HINCRBY', key, 'retryCount', 1)
  enterWaiting(id, state[5], state[4], retryAt)
  count('failed', 1)
  publishJobs()
else
  releaseUnique(state[3], id)
  finish(key, id, 'dead', DEAD, now, ttl)
  if insertDeadLetter(deadLetterArgs(8), id, state[5], attempt, now) then publishJobs() end
end
return readJob(key)
