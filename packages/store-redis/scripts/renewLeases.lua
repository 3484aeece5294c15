-- renewLeases: extends the leases of running jobs, fenced by their attempt.
-- ARGV[1] lockedUntil, then id, attempt pairs. Returns 1 or 0 per pair: whether it was renewed.
-- @include queue
local lockedUntil = ARGV[1]
local renewed = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt')
  if state[1] == 'running' and state[2] == ARGV[i + 1] then
    redis.call('HSET', key, 'lockedUntil', lockedUntil)
    redis.call('ZADD', RUNNING, 'XX', lockedUntil, id)
    renewed[#renewed + 1] = 1
  else
    renewed[#renewed + 1] = 0
  end
end
return renewed
