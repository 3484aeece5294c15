-- Selections (inlined where a script says "-- @include selection", after "-- @include queue" and
-- "-- @include lanes"): reading the listing indexes (see listedKey in includes/queue.lua) in
-- listing order, (createdAt, id) ascending or descending, from a keyset position and within a
-- createdAt range. A position costs a few O(log n) lookups however deep it lies: the index's own
-- ranks, never a scan of the entries before it.

-- The selector at ARGV[first..first+3]: name, group ('' for any, else '=' .. value), from, to
-- ('' for no bound, else epoch ms; from <= createdAt < to).
local function readSelector(first)
  return { name = optionalArg(ARGV[first]), group = optionalArg(ARGV[first + 1]),
    from = ARGV[first + 2] ~= '' and ARGV[first + 2] or nil,
    to = ARGV[first + 3] ~= '' and ARGV[first + 3] or nil }
end

-- Whether job `id` exists and has the selector's name and group.
local function selects(sel, id)
  if not sel.name and not sel.group then return redis.call('EXISTS', jobKey(id)) == 1 end
  local state = redis.call('HMGET', jobKey(id), 'name', 'group')
  if not state[1] then return false end
  return (not sel.name or state[1] == sel.name) and (not sel.group or state[2] == sel.group)
end

-- The first rank of index `key` whose entry is after (score, id) in ascending listing order, or
-- at or after it when not `strict`. The members of one score sort bytewise by id: a binary search
-- over their ranks finds the place of an id that may no longer be there.
local function rankFrom(key, score, id, strict)
  local lo = redis.call('ZCOUNT', key, '-inf', '(' .. score)
  local hi = redis.call('ZCOUNT', key, '-inf', score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local member = redis.call('ZRANGE', key, mid, mid)[1]
    if bytesBefore(member, id) or (strict and member == id) then lo = mid + 1 else hi = mid end
  end
  return lo
end

-- A reader of index `key` in listing order (`desc`: newest first), starting strictly after the
-- position `after` ({ score, id }, or nil for the start), within the selector's createdAt range.
-- It holds the ranks [lo, hi) left to read.
local function openReader(key, sel, desc, after)
  local lo = sel.from and redis.call('ZCOUNT', key, '-inf', '(' .. sel.from) or 0
  local hi = sel.to and redis.call('ZCOUNT', key, '-inf', '(' .. sel.to) or redis.call('ZCARD', key)
  if after then
    if desc then
      hi = math.min(hi, rankFrom(key, after.score, after.id, false))
    else
      lo = math.max(lo, rankFrom(key, after.score, after.id, true))
    end
  end
  return { key = key, desc = desc, lo = lo, hi = hi, buffer = {}, at = 1 }
end

-- The reader's next entry { score (as stored), at (a number), id } without taking it, or nil when
-- it is exhausted. Reads `chunk` entries of the index at a time.
local function peekEntry(reader, chunk)
  if reader.at > #reader.buffer then
    if reader.lo >= reader.hi then return nil end
    local first, last
    if reader.desc then
      first, last = math.max(reader.lo, reader.hi - chunk), reader.hi - 1
      reader.hi = first
    else
      first, last = reader.lo, math.min(reader.hi, reader.lo + chunk) - 1
      reader.lo = last + 1
    end
    local entries = redis.call('ZRANGE', reader.key, first, last, 'WITHSCORES')
    local buffer = {}
    for i = 1, #entries, 2 do
      buffer[#buffer + 1] = { id = entries[i], score = entries[i + 1], at = tonumber(entries[i + 1]) }
    end
    if reader.desc then
      for i = 1, math.floor(#buffer / 2) do
        buffer[i], buffer[#buffer + 1 - i] = buffer[#buffer + 1 - i], buffer[i]
      end
    end
    reader.buffer, reader.at = buffer, 1
    if #buffer == 0 then return nil end
  end
  return reader.buffer[reader.at]
end

-- Whether entry a comes before entry b in listing order (descending when `desc`).
local function listedBefore(a, b, desc)
  if a.at ~= b.at then
    if desc then return a.at > b.at end
    return a.at < b.at
  end
  if desc then return bytesBefore(b.id, a.id) end
  return bytesBefore(a.id, b.id)
end

-- A reader of the running jobs in listing order, as openReader gives one of a listing index:
-- running jobs have none (see listedKey in includes/queue.lua), so this one reads RUNNING, which
-- holds every running job of the queue (as many as the workers hold), and sorts them by
-- (createdAt, id), keeping those after `after` and within the selector's createdAt range.
local function openRunningReader(sel, desc, after)
  local from, to = tonumber(sel.from), tonumber(sel.to)
  local start = after and { at = tonumber(after.score), id = after.id } or nil
  local buffer = {}
  for _, id in ipairs(redis.call('ZRANGE', RUNNING, 0, -1)) do
    local createdAt = redis.call('HGET', jobKey(id), 'createdAt')
    if createdAt then
      local entry = { id = id, score = createdAt, at = tonumber(createdAt) }
      if (not from or entry.at >= from) and (not to or entry.at < to)
        and (not start or listedBefore(start, entry, desc)) then
        buffer[#buffer + 1] = entry
      end
    end
  end
  table.sort(buffer, function(a, b) return listedBefore(a, b, desc) end)
  return { desc = desc, lo = 0, hi = 0, buffer = buffer, at = 1 }
end

-- The reader of `status` in listing order (see openReader).
local function openStatusReader(status, sel, desc, after)
  if status == 'running' then return openRunningReader(sel, desc, after) end
  return openReader(listedKey(status), sel, desc, after)
end
