-- removeJobs: deletes jobs of one queue and everything that refers to them, whatever their status.
-- Used to undo the queues already inserted when a batch spanning several queues fails in a later
-- one (see createJobs in src/redis-store.ts). ARGV: the ids. Returns how many were deleted.
-- @include queue
local deleted = 0
for _, id in ipairs(ARGV) do
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'priority', 'uniqueKey', 'name', 'group')
  local status = state[1]
  if status then
    if status == 'running' then
      leaveRunning(id, state[5])
    elseif status == 'completed' then
      redis.call('ZREM', COMPLETED, id)
    elseif status == 'dead' then
      redis.call('ZREM', DEAD, id)
    elseif status == 'cancelled' then
      redis.call('ZREM', CANCELLED, id)
    else
      leaveWaiting(id, state[4], state[2], state[5])
    end
    releaseUnique(state[3], id)
    redis.call('ZREM', CREATED, id)
    redis.call('DEL', key)
    count(status, -1)
    deleted = deleted + 1
  end
end
return deleted
