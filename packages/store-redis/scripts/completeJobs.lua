-- completeJobs: marks running jobs completed (or deletes them), fenced by their attempt and lease
-- holder. ARGV[1] now, ARGV[2] remove ('1' | '0'), ARGV[3] ttl seconds, then id, attempt, lockedBy
-- triples. Returns 1 or 0 per triple: whether it was applied.
-- @include queue
local now, remove, ttl = ARGV[1], ARGV[2] == '1', ARGV[3]
local applied = {}
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy', 'uniqueKey', 'group', 'createdAt')
  if holds(state, ARGV[i + 1], ARGV[i + 2]) then
    leaveRunning(id, state[5])
    count('running', -1)
    releaseUnique(state[4], id)
    if remove then
      -- A running job has no listing index (see listedKey in includes/queue.lua).
      redis.call('DEL', key)
      redis.call('ZREM', CREATED, id)
    else
      finish(key, id, 'running', 'completed', COMPLETED, now, ttl, state[6])
    end
    applied[#applied + 1] = 1
  else
    applied[#applied + 1] = 0
  end
end
return applied
