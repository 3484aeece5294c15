-- The claim of one queue (inlined where a script says "-- @include claim", after "-- @include
-- queue", "-- @include lanes" and "-- @include controls"): Store.claimDueJobs on one queue, shared
-- by claimDueJobs.lua and createJobsAndClaim.lua. A queue with controls or grouped jobs (a CONTROL
-- hash) is claimed under its controls, in rounds between its groups (see includes/controls.lua);
-- every other queue takes the plain path below.

-- Claims whose jobs hold more text than this (bytes of payload, metadata, history and error) go
-- back as an array of job replies instead of one JSON text: cjson escapes the JSON of a payload
-- again (up to twice its bytes, and three times slower to write and read for 1 MiB payloads),
-- which only the many small values of small jobs repay.
local JSON_REPLY_MAX = 65536

-- The claimed jobs as one JSON text, an array of job replies (fields in FIELDS order, a missing one
-- false): one string to write and to read, where an array of arrays costs both sides a value per
-- field (decodeClaimed in src/job-codec.ts reads either). Jobs of much text: the array itself.
local function encodeJobs(jobs)
  if #jobs == 0 then return '[]' end
  local size = 0
  for _, job in ipairs(jobs) do
    size = size + #(job[FIELD_AT.payload] or '') + #(job[FIELD_AT.metadata] or '')
      + #(job[FIELD_AT.history] or '') + #(job[FIELD_AT.error] or '')
    if size > JSON_REPLY_MAX then return jobs end
  end
  return cjson.encode(jobs)
end

-- Hands up to `limit` due jobs of the names ARGV[namesFrom..] (none: any name) to `workerId` in
-- claim order (priority desc, scheduledAt asc, id asc), each with the next attempt and a lease
-- until `lockedUntil`. `now` and `lockedUntil` are the epoch-ms arguments as given. Returns the
-- claimed jobs.
local function claimDue(now, lockedUntil, workerId, limit, namesFrom)
  if redis.call('EXISTS', CONTROL) == 1 then
    local ctl = readControls()
    local picks = planClaim(ctl, tonumber(now), now, limit, selectLanes(namesFrom), wantedNames(namesFrom))
    return applyClaim(ctl, picks, tonumber(now), now, lockedUntil, workerId)
  end
  local due = dueInOrder(selectLanes(namesFrom), now, limit)
  local claimed, left, lanes, touched, moves = {}, {}, {}, {}, newMoves()
  for _, entry in ipairs(due) do
    local id = entry.id
    moveOut(moves, entry.lane, id)
    if not touched[entry.lane] then
      touched[entry.lane] = true
      lanes[#lanes + 1] = entry
    end
    -- A job whose hash is gone (evicted under maxmemory, or deleted behind the store's back) leaves
    -- a stray entry, dropped all the same: nothing to claim or count.
    leaseJob(id, now, lockedUntil, workerId, claimed, left, moves)
  end
  applyMoves(moves)
  for _, entry in ipairs(lanes) do tidyLane(entry.name, entry.priority) end
  for status, n in pairs(left) do count(status, -n) end
  if #claimed > 0 then count('running', #claimed) end
  return claimed
end
