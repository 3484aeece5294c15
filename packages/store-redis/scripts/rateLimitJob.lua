-- rateLimitJob: hands a running job back after its handler reported a rate limit, without penalty
-- (waiting again at `until`, lease cleared; retryCount, lostLeases, error and history untouched),
-- and pushes back its group (scope 'group', for a job with a group) or its whole queue until
-- `until`, never shortening a longer push-back; fenced by the attempt and the lease holder.
-- ARGV[1] id, ARGV[2] attempt, ARGV[3] lockedBy, ARGV[4] now, ARGV[5] until, ARGV[6] scope
-- ('queue' | 'group'). Returns 1 when applied, 0 for a stale ref.
-- @include queue
-- @include events
local id, now, untilArg, scope = ARGV[1], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local untilMs = tonumber(untilArg)
local key = jobKey(id)
local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy', 'priority', 'name', 'group',
  'createdAt')
if not holds(state, ARGV[2], ARGV[3]) then return 0 end
local group = state[6]
leaveRunning(id, group)
local status = untilMs > now and 'scheduled' or 'pending'
redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
redis.call('HSET', key, 'status', status, 'scheduledAt', untilArg)
enterWaiting(id, state[5], state[4], untilArg, group)
relist(id, state[7], 'running', status)
count('running', -1)
count(status, 1)
if scope == 'group' and group then
  local glimited = base .. 'glimited'
  if untilMs > (tonumber(redis.call('HGET', glimited, group)) or 0) then
    redis.call('HSET', glimited, group, untilArg)
  end
else
  -- A queue pushed back has stored controls from then on (listed by listQueues).
  if untilMs > (tonumber(redis.call('HGET', CONTROL, 'limitedUntil')) or 0) then
    redis.call('HSET', CONTROL, 'limitedUntil', untilArg)
  end
  redis.call('HSET', CONTROL, 'configured', '1')
  -- A record made here was updated now; an existing one keeps its time.
  redis.call('HSETNX', CONTROL, 'updatedAt', ARGV[4])
end
if status == 'pending' then publishJobs() end
return 1
