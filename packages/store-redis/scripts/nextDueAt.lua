-- nextDueAt (read-only): the earliest scheduledAt of a waiting job of one queue with one of the
-- names asked for, or false; false for a paused queue. ARGV[1..] the job names (none: any name).
-- @include queue
-- @include lanes
if redis.call('HGET', CONTROL, 'paused') == '1' then return false end
local earliest = nil
for _, name in ipairs(selectLanes(1)) do
  local head = laneHead(name)
  if head and (not earliest or head < earliest) then earliest = head end
end
-- Grouped jobs wait in their groups: the head of each priority of each group, or, with names
-- asked for, the first job of one of those names.
local wanted = nil
if #ARGV > 0 then
  wanted = {}
  for _, name in ipairs(ARGV) do wanted[name] = true end
end
for _, group in ipairs(redis.call('ZRANGE', GROUPS, 0, -1)) do
  for _, priority in ipairs(redis.call('ZRANGE', gpriosKey(group), 0, -1)) do
    local key, offset = gwaitKey(priority, group), 0
    repeat
      local entries = redis.call('ZRANGE', key, offset, offset + 99, 'WITHSCORES')
      local found = false
      for i = 1, #entries, 2 do
        local at = tonumber(entries[i + 1])
        if earliest and at >= earliest then
          found = true
          break
        end
        if not wanted or wanted[redis.call('HGET', jobKey(entries[i]), 'name')] then
          earliest = at
          found = true
          break
        end
      end
      offset = offset + 100
    until found or #entries < 200
  end
end
-- As a string: a Lua number would come back truncated to an integer, and %.17g keeps it exact.
if not earliest then return false end
return string.format('%.17g', earliest)
