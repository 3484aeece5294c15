-- deleteJobs: deletes (see includes/removal.lua) the jobs of one status other than running of one
-- queue that match a selector, up to `batch` index entries after a position in ascending listing
-- order. ARGV[1..8] as in includes/bulk.lua. Returns { deleted, createdAt, id }: the position to
-- go on from, or '' when the index holds no more; { 'migrate' } while the queue has the index of
-- an earlier version.
-- @include queue
-- @include lanes
-- @include removal
-- @include selection
-- @include bulk
if redis.call('EXISTS', CREATED) == 1 then return { 'migrate' } end
if ARGV[1] == 'running' then return { 0, '', '' } end
local status, sel, batch, entries = readBulkBatch()
local deleted = applyBulk(sel, entries, function(id, key)
  local state = redis.call('HMGET', key, unpack(REMOVE_FIELDS))
  if state[1] ~= status then return false end
  removeJob(id, key, state)
  return true
end)
return bulkReply(deleted, batch, entries)
