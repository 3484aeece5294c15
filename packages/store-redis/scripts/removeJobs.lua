-- removeJobs: deletes jobs of one queue and everything that refers to them, whatever their status.
-- Used to undo the queues already inserted when a batch spanning several queues fails in a later
-- one (see createJobs in src/redis-store.ts). ARGV: the ids. Returns how many were deleted.
-- @include queue
-- @include removal
local deleted = 0
for _, id in ipairs(ARGV) do
  local key = jobKey(id)
  local state = redis.call('HMGET', key, unpack(REMOVE_FIELDS))
  if state[1] then
    removeJob(id, key, state)
    deleted = deleted + 1
  end
end
return deleted
