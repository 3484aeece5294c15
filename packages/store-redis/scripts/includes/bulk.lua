-- Bulk steps (inlined where a script says "-- @include bulk", after "-- @include selection"): the
-- scan every bulk script (retryJobs, deleteJobs) makes over one status's listing index, and its
-- reply. The arguments are shared:
-- ARGV[1] status, ARGV[2..5] the selector (see includes/selection.lua), ARGV[6] after: createdAt
-- ('' for the start), ARGV[7] after: id, ARGV[8] batch; the script's own arguments follow.

-- Reads up to `batch` entries of the index of ARGV[1] after the position ARGV[6..7], in ascending
-- listing order. Returns the status, the selector, the batch size and the entries. Every entry is
-- read before the caller changes any job: a move or a deletion changes the ranks of the index.
local function readBulkBatch()
  local status, sel = ARGV[1], readSelector(2)
  local after = ARGV[6] ~= '' and { score = ARGV[6], id = ARGV[7] } or nil
  local batch = tonumber(ARGV[8])
  local reader = openReader(listedKey(status), sel, false, after)
  local entries = {}
  while #entries < batch do
    local entry = peekEntry(reader, batch)
    if not entry then break end
    reader.at = reader.at + 1
    entries[#entries + 1] = entry
  end
  return status, sel, batch, entries
end

-- Calls `apply(id, key)` for every entry of `entries` whose job the selector takes; `apply`
-- answers whether it changed the job. Returns how many it changed.
local function applyBulk(sel, entries, apply)
  local changed = 0
  for _, entry in ipairs(entries) do
    if selects(sel, entry.id) and apply(entry.id, jobKey(entry.id)) then changed = changed + 1 end
  end
  return changed
end

-- The bulk reply { changed, createdAt, id }: the position to go on from, or '' when the index
-- holds no more.
local function bulkReply(changed, batch, entries)
  local last = entries[#entries]
  if #entries < batch or not last then return { changed, '', '' } end
  return { changed, last.score, last.id }
end
