-- nextDueAt (read-only): the earliest scheduledAt of a waiting job of one queue with one of the
-- names asked for, or false. ARGV[1..] the job names (none: any name).
-- @include queue
-- @include lanes
local earliest = nil
for _, name in ipairs(selectLanes(1)) do
  local head = laneHead(name)
  if head and (not earliest or head < earliest) then earliest = head end
end
-- As a string: a Lua number would come back truncated to an integer, and %.17g keeps it exact.
if not earliest then return false end
return string.format('%.17g', earliest)
