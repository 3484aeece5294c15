-- renewLeases: extends the leases of running jobs, fenced by their attempt and lease holder.
-- ARGV[1] lockedUntil, then id, attempt, lockedBy triples. Returns 1 or 0 per triple: whether it
-- was renewed.
-- @include queue
local lockedUntil = ARGV[1]
local renewed = {}
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy')
  if holds(state, ARGV[i + 1], ARGV[i + 2]) then
    redis.call('HSET', key, 'lockedUntil', lockedUntil)
    redis.call('ZADD', RUNNING, 'XX', lockedUntil, id)
    renewed[#renewed + 1] = 1
  else
    renewed[#renewed + 1] = 0
  end
end
return renewed
