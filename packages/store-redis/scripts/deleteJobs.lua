-- deleteJobs: deletes (see includes/removal.lua) the jobs of one status other than running of one
-- queue that match a selector, up to `batch` index entries after a position in ascending listing
-- order. ARGV[1] status, ARGV[2..5] the selector (see includes/selection.lua), ARGV[6] after:
-- createdAt ('' for the start), ARGV[7] after: id, ARGV[8] batch. Returns { deleted, createdAt,
-- id }: the position to go on from, or '' when the index holds no more; { 'migrate' } while the
-- queue has the index of an earlier version.
-- @include queue
-- @include lanes
-- @include removal
-- @include selection
if redis.call('EXISTS', CREATED) == 1 then return { 'migrate' } end
local status, sel = ARGV[1], readSelector(2)
if status == 'running' then return { 0, '', '' } end
local after = ARGV[6] ~= '' and { score = ARGV[6], id = ARGV[7] } or nil
local batch = tonumber(ARGV[8])
-- Every entry is read before any job goes: a deletion changes the ranks of the index.
local reader = openReader(listedKey(status), sel, false, after)
local entries = {}
while #entries < batch do
  local entry = peekEntry(reader, batch)
  if not entry then break end
  reader.at = reader.at + 1
  entries[#entries + 1] = entry
end
local deleted = 0
for _, entry in ipairs(entries) do
  if selects(sel, entry.id) then
    local key = jobKey(entry.id)
    local state = redis.call('HMGET', key, unpack(REMOVE_FIELDS))
    if state[1] == status then
      removeJob(entry.id, key, state)
      deleted = deleted + 1
    end
  end
end
local last = entries[#entries]
if #entries < batch or not last then return { deleted, '', '' } end
return { deleted, last.score, last.id }
