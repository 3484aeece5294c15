-- claimDueJobs: hands up to `limit` due jobs of one queue, of the names asked for, to a worker in
-- claim order (priority desc, scheduledAt asc, id asc), each with the next attempt and a lease.
-- Jobs of other names are not looked at (see includes/lanes.lua). A queue with controls or
-- grouped jobs (a CONTROL hash) is claimed under its controls, in rounds between its groups (see
-- includes/controls.lua); every other queue takes the plain path below.
-- ARGV[1] now, ARGV[2] lockedUntil, ARGV[3] workerId, ARGV[4] limit, ARGV[5..] the job names
-- (none: any name). Returns the claimed jobs.
-- @include queue
-- @include lanes
-- @include controls
local now, lockedUntil, workerId = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', CONTROL) == 1 then
  local ctl = readControls()
  local picks = planClaim(ctl, tonumber(now), now, tonumber(ARGV[4]), selectLanes(5), wantedNames(5))
  return applyClaim(ctl, picks, tonumber(now), now, lockedUntil, workerId)
end
local due = dueInOrder(selectLanes(5), now, tonumber(ARGV[4]))
local claimed, left, lanes, touched = {}, {}, {}, {}
for _, entry in ipairs(due) do
  local id = entry.id
  redis.call('ZREM', waitKey(entry.priority, entry.name), id)
  -- A priority holds no space: this names the lane's zset of that priority without ambiguity.
  local lane = entry.priority .. ' ' .. entry.name
  if not touched[lane] then
    touched[lane] = true
    lanes[#lanes + 1] = entry
  end
  local state = redis.call('HMGET', jobKey(id), 'status', 'attempt')
  -- A job whose hash is gone (evicted under maxmemory, or deleted behind the store's back) leaves
  -- a stray entry, dropped above: nothing to claim or count.
  if state[1] then leaseJob(id, state, now, lockedUntil, workerId, claimed, left) end
end
for _, entry in ipairs(lanes) do tidyLane(entry.name, entry.priority) end
for status, n in pairs(left) do count(status, -n) end
if #claimed > 0 then count('running', #claimed) end
return claimed
