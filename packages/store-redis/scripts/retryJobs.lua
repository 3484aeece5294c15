-- retryJobs: requeues (see includes/requeue.lua) the jobs of one final status of one queue that
-- match a selector, up to `batch` index entries after a position in ascending listing order; a
-- job whose uniqueKey another active job holds stays as it is. Publishes a jobs event when any
-- moved. ARGV[1] status ('dead' | 'cancelled'), ARGV[2..5] the selector (see
-- includes/selection.lua), ARGV[6] after: createdAt ('' for the start), ARGV[7] after: id,
-- ARGV[8] batch, ARGV[9] now. Returns { moved, createdAt, id }: the position to go on from, or
-- '' when the index holds no more; { 'migrate' } while the queue has the index of an earlier version.
-- @include queue
-- @include lanes
-- @include events
-- @include requeue
-- @include selection
if redis.call('EXISTS', CREATED) == 1 then return { 'migrate' } end
local status, sel = ARGV[1], readSelector(2)
local after = ARGV[6] ~= '' and { score = ARGV[6], id = ARGV[7] } or nil
local batch, now = tonumber(ARGV[8]), ARGV[9]
-- Every entry is read before any job moves: a move changes the ranks of the index.
local reader = openReader(listedKey(status), sel, false, after)
local entries = {}
while #entries < batch do
  local entry = peekEntry(reader, batch)
  if not entry then break end
  reader.at = reader.at + 1
  entries[#entries + 1] = entry
end
local moved = 0
for _, entry in ipairs(entries) do
  if selects(sel, entry.id) then
    local key = jobKey(entry.id)
    local state = redis.call('HMGET', key, unpack(REQUEUE_FIELDS))
    if state[1] == status and not requeue(entry.id, key, state, now) then moved = moved + 1 end
  end
end
if moved > 0 then publishJobs() end
local last = entries[#entries]
if #entries < batch or not last then return { moved, '', '' } end
return { moved, last.score, last.id }
