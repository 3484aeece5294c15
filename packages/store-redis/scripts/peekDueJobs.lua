-- peekDueJobs (read-only): the first `limit` due jobs of one queue, of the names asked for, in
-- claim order, as { kind, id, priority, scheduledAt, ... }, so that a claim across queues can
-- merge their orders. `kind` is 'plain', or 'controlled' for a queue claimed under its controls,
-- whose jobs are those its claim would take now, in the order it would take them.
-- ARGV[1] now, ARGV[2] limit, ARGV[3..] the job names (none: any name).
-- @include queue
-- @include lanes
-- @include controls
local found, due = { 'plain' }, nil
if redis.call('EXISTS', CONTROL) == 1 then
  found[1] = 'controlled'
  due = planClaim(readControls(), tonumber(ARGV[1]), ARGV[1], tonumber(ARGV[2]), selectLanes(3), wantedNames(3))
else
  due = dueInOrder(selectLanes(3), ARGV[1], tonumber(ARGV[2]))
end
for _, entry in ipairs(due) do
  found[#found + 1] = entry.id
  found[#found + 1] = entry.priority
  found[#found + 1] = entry.scheduledAt
end
return found
