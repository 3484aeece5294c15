-- peekDueJobs (read-only): the first `limit` due jobs of one queue, of the names asked for, in
-- claim order, as { id, priority, scheduledAt, ... }, so that a claim across queues can merge
-- their orders. ARGV[1] now, ARGV[2] limit, ARGV[3..] the job names (none: any name).
-- @include queue
-- @include lanes
local found = {}
for _, entry in ipairs(dueInOrder(selectLanes(3), ARGV[1], tonumber(ARGV[2]))) do
  found[#found + 1] = entry.id
  found[#found + 1] = entry.priority
  found[#found + 1] = entry.scheduledAt
end
return found
