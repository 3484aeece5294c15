-- retryJobs: requeues (see includes/requeue.lua) the jobs of one final status of one queue that
-- match a selector, up to `batch` index entries after a position in ascending listing order; a
-- job whose uniqueKey another active job holds stays as it is. Publishes a jobs event when any
-- moved. ARGV[1..8] as in includes/bulk.lua (status 'dead' | 'cancelled'), ARGV[9] now. Returns
-- { moved, createdAt, id }: the position to go on from, or '' when the index holds no more;
-- { 'migrate' } while the queue has the index of an earlier version.
-- @include queue
-- @include lanes
-- @include events
-- @include requeue
-- @include selection
-- @include bulk
if redis.call('EXISTS', CREATED) == 1 then return { 'migrate' } end
local now = ARGV[9]
local status, sel, batch, entries = readBulkBatch()
local moved = applyBulk(sel, entries, function(id, key)
  local state = redis.call('HMGET', key, unpack(REQUEUE_FIELDS))
  return state[1] == status and not requeue(id, key, state, now)
end)
if moved > 0 then publishJobs() end
return bulkReply(moved, batch, entries)
