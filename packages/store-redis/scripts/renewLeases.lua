-- renewLeases: extends the leases of running jobs, fenced by their attempt.
-- ARGV[1] lockedUntil, then id, attempt pairs. Returns the ids whose lease could not be renewed.
-- @include queue
local lockedUntil = ARGV[1]
local lost = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt')
  if state[1] == 'running' and state[2] == ARGV[i + 1] then
    redis.call('HSET', key, 'lockedUntil', lockedUntil)
    redis.call('ZADD', RUNNING, 'XX', lockedUntil, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
