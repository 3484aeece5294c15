-- Lanes (inlined where a script says "-- @include lanes", after "-- @include queue"): the waiting
-- jobs of one job name in the queue. Claims, peeks and nextDueAt look only at the lanes of the
-- names asked for, so jobs of other names cost nothing, however many of them wait ahead; what a
-- call costs grows with the lanes it looks at times their priorities in use.

-- The lanes to look at: the names ARGV[first..] that have waiting jobs, each once, or every lane
-- when no name is given.
local function selectLanes(first)
  if first > #ARGV then return redis.call('SMEMBERS', NAMES) end
  local wanted, seen = {}, {}
  for i = first, #ARGV do
    if not seen[ARGV[i]] then
      seen[ARGV[i]] = true
      wanted[#wanted + 1] = ARGV[i]
    end
  end
  local lanes = {}
  for i = 1, #wanted, 1000 do
    local chunk = { unpack(wanted, i, math.min(i + 999, #wanted)) }
    local present = redis.call('SMISMEMBER', NAMES, unpack(chunk))
    for j, flag in ipairs(present) do
      if flag == 1 then lanes[#lanes + 1] = chunk[j] end
    end
  end
  return lanes
end

-- Whether id a sorts before id b byte by byte, as members of equal score sort in a zset (Lua's
-- own string order follows the server's locale).
local function bytesBefore(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function claimOrder(a, b)
  if a.at ~= b.at then return a.at < b.at end
  return bytesBefore(a.id, b.id)
end

-- Up to `limit` due jobs (scheduledAt <= now) of `lanes` in claim order: priority desc, then
-- scheduledAt, then id. Each as { id, name, priority, lane (the key of its zset), scheduledAt (as
-- stored), at (a number) }.
local function dueInOrder(lanes, now, limit)
  local found = {}
  if limit <= 0 then return found end
  local lanesOf, priorities = {}, {}
  for _, name in ipairs(lanes) do
    for _, priority in ipairs(redis.call('ZRANGE', priosKey(name), 0, -1)) do
      local group = lanesOf[priority]
      if not group then
        group = {}
        lanesOf[priority] = group
        priorities[#priorities + 1] = priority
      end
      group[#group + 1] = name
    end
  end
  table.sort(priorities, function(a, b) return tonumber(a) > tonumber(b) end)
  for _, priority in ipairs(priorities) do
    local group, batch = lanesOf[priority], {}
    for _, name in ipairs(group) do
      local lane = waitKey(priority, name)
      local entries = redis.call('ZRANGEBYSCORE', lane, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit - #found)
      for i = 1, #entries, 2 do
        batch[#batch + 1] = { id = entries[i], name = name, priority = priority, lane = lane,
          scheduledAt = entries[i + 1], at = tonumber(entries[i + 1]) }
      end
    end
    if #group > 1 then table.sort(batch, claimOrder) end
    for i = 1, math.min(#batch, limit - #found) do found[#found + 1] = batch[i] end
    if #found >= limit then break end
  end
  return found
end

-- The earliest scheduledAt (a number) of the lane `name`, or nil when it is empty.
local function laneHead(name)
  local earliest = nil
  for _, priority in ipairs(redis.call('ZRANGE', priosKey(name), 0, -1)) do
    local head = redis.call('ZRANGE', waitKey(priority, name), 0, 0, 'WITHSCORES')
    if head[2] and (not earliest or tonumber(head[2]) < earliest) then earliest = tonumber(head[2]) end
  end
  return earliest
end
