-- claimDueJobs: hands up to `limit` due jobs of one queue to a worker, in claim order
-- (priority desc, scheduledAt asc, id asc), each with the next attempt and a lease.
-- ARGV[1] now, ARGV[2] lockedUntil, ARGV[3] workerId, ARGV[4] limit. Returns the claimed jobs.
-- @include queue
local now, lockedUntil, workerId, remaining = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local claimed = {}
if remaining <= 0 then return claimed end
for _, priority in ipairs(redis.call('ZREVRANGE', PRIOS, 0, -1)) do
  local key = waitKey(priority)
  local ids = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, remaining)
  if #ids > 0 then
    for _, id in ipairs(ids) do
      redis.call('ZREM', key, id)
      local job = jobKey(id)
      count(redis.call('HGET', job, 'status'), -1)
      redis.call('HSET', job, 'status', 'running', 'startedAt', now, 'lockedUntil', lockedUntil,
        'lockedBy', workerId)
      redis.call('HINCRBY', job, 'attempt', 1)
      redis.call('ZADD', RUNNING, lockedUntil, id)
      claimed[#claimed + 1] = readJob(job)
    end
    if redis.call('EXISTS', key) == 0 then redis.call('ZREM', PRIOS, priority) end
    remaining = remaining - #ids
    if remaining <= 0 then break end
  end
end
if #claimed > 0 then count('running', #claimed) end
return claimed
