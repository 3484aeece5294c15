-- listJobs (read-only): the next jobs of one queue in listing order after a keyset position that
-- match a selector, merged from the listing indexes of the statuses asked for (running jobs from
-- RUNNING, sorted here; see includes/selection.lua). At most `want` jobs, having looked at most `budget` index entries, so a
-- selective name or group filter never holds the server for long: the client calls again from
-- the position returned.
-- ARGV[1] statuses (comma-separated), ARGV[2..5] the selector (name, group, from, to), ARGV[6]
-- order ('asc' | 'desc'), ARGV[7] after: createdAt ('' for the start), ARGV[8] after: id,
-- ARGV[9] want, ARGV[10] budget, ARGV[11] '1' to return the jobs, '0' for their ids only.
-- Returns { state, createdAt, id, then createdAt, id[, job] per job }: state 'full' (want jobs
-- found), 'done' (the indexes hold no more) or 'more' (the budget ran out at the position
-- createdAt, id); or { 'migrate' } while the queue still has the index of an earlier version.
-- @include queue
-- @include lanes
-- @include selection
if redis.call('EXISTS', CREATED) == 1 then return { 'migrate' } end
local sel = readSelector(2)
local desc = ARGV[6] == 'desc'
local after = ARGV[7] ~= '' and { score = ARGV[7], id = ARGV[8] } or nil
local want, budget, withJobs = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11] == '1'
local chunk = math.max(math.min(want, 1000), 16)
local readers = {}
for status in string.gmatch(ARGV[1], '[^,]+') do
  readers[#readers + 1] = openStatusReader(status, sel, desc, after)
end
local reply = { 'done', '', '' }
local found = 0
while true do
  if found >= want then reply[1] = 'full' break end
  local next, entry = nil, nil
  for _, reader in ipairs(readers) do
    local head = peekEntry(reader, chunk)
    if head and (not entry or listedBefore(head, entry, desc)) then next, entry = reader, head end
  end
  if not next then break end
  if budget <= 0 then reply[1] = 'more' break end
  next.at = next.at + 1
  budget = budget - 1
  reply[2], reply[3] = entry.score, entry.id
  if selects(sel, entry.id) then
    found = found + 1
    reply[#reply + 1] = entry.score
    reply[#reply + 1] = entry.id
    if withJobs then reply[#reply + 1] = readJob(jobKey(entry.id)) end
  end
end
return reply
