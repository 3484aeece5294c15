-- Queue controls (inlined where a script says "-- @include controls", after "-- @include queue"
-- and "-- @include lanes"): the claim of a queue that has a CONTROL hash, which checks and counts
-- pause, push-backs, concurrency, rate limits and group limits, and takes the due jobs in rounds
-- of one job per group (Store.claimDueJobs).
--
-- CONTROL fields: paused ('1' | '0'), concurrency, rateMax and ratePer (the queue's rate limit),
-- group ('1' when group limits are set), groupConcurrency, groupRateMax and groupRatePer,
-- limitedUntil (epoch ms), configured ('1' once updateQueue or a queue push-back wrote it),
-- updatedAt, winStart and winCount (the claims counted in the queue's current rate window),
-- serve (the serve sequence: + 1 for every job a claim takes) and nogroupServed (the serve
-- sequence that last took a job without a group).
-- GWINDOW: group -> '<window start> <claims>' of the group's current rate window.
-- GLIMITED: group -> epoch ms before which the group gives no job (a handler's push-back).
local GWINDOW, GLIMITED = base .. 'gwindow', base .. 'glimited'

-- How many groups of the rotation a claim reads at once.
local GROUP_CHUNK = 100

-- The start of the fixed window of `per` ms that holds `now`: windows are aligned to the Unix epoch.
local function windowStart(now, per) return now - (now % per) end

-- The window a claim at `now` counts in: the one that holds `now`, or the stored one (its start,
-- or nil) when that is later. A claim whose `now` lies in an earlier window (an instance whose
-- clock is behind, a claim that waited) counts in the stored window: a window only moves forward.
local function windowOf(start, now, per)
  local current, stored = windowStart(now, per), tonumber(start)
  if stored and stored > current then return stored end
  return current
end

-- The claims a window stored as (start, count) holds at `now`: 0 once `now` is in a later window.
local function windowCount(start, count, now, per)
  if start and tonumber(start) >= windowStart(now, per) then return tonumber(count) end
  return 0
end

-- The queue's controls, as numbers (nil: no limit).
local function readControls()
  local c = redis.call('HMGET', CONTROL, 'paused', 'concurrency', 'rateMax', 'ratePer', 'winStart',
    'winCount', 'groupConcurrency', 'groupRateMax', 'groupRatePer', 'limitedUntil', 'serve', 'nogroupServed')
  return { paused = c[1] == '1', concurrency = tonumber(c[2]), rateMax = tonumber(c[3]),
    ratePer = tonumber(c[4]), winStart = c[5], winCount = c[6], groupConcurrency = tonumber(c[7]),
    groupRateMax = tonumber(c[8]), groupRatePer = tonumber(c[9]), limitedUntil = tonumber(c[10]) or 0,
    serve = tonumber(c[11]) or 0, nogroupServed = tonumber(c[12]) or 0 }
end

-- The claims counted in a group's stored window ('<start> <count>', or false) at `now`.
local function groupWindowCount(ctl, stored, now)
  if not stored then return 0 end
  local start, count = string.match(stored, '^(%S+) (%S+)$')
  return windowCount(start, count, now, ctl.groupRatePer)
end

-- How many more jobs of a group may start at `now`, from its running count, push-back and window.
local function groupAllowance(ctl, running, limitedUntil, window, now)
  if limitedUntil and tonumber(limitedUntil) > now then return 0 end
  local allowed = math.huge
  if ctl.groupConcurrency then allowed = ctl.groupConcurrency - (tonumber(running) or 0) end
  if ctl.groupRateMax then allowed = math.min(allowed, ctl.groupRateMax - groupWindowCount(ctl, window, now)) end
  return allowed
end

-- Up to `n` due jobs (scheduledAt <= now) of `group` in claim order (priority desc, scheduledAt,
-- id), of the names in `wanted` (a set; nil: any name). Each as { id, priority, scheduledAt, at,
-- group }.
local function groupDue(group, now, wanted, n)
  local found = {}
  for _, priority in ipairs(redis.call('ZRANGE', gpriosKey(group), 0, -1, 'REV')) do
    local key, offset = gwaitKey(priority, group), 0
    while #found < n do
      local batch = wanted and 100 or (n - #found)
      local entries = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'WITHSCORES', 'LIMIT', offset, batch)
      for i = 1, #entries, 2 do
        if not wanted or wanted[redis.call('HGET', jobKey(entries[i]), 'name')] then
          found[#found + 1] = { id = entries[i], priority = priority, scheduledAt = entries[i + 1],
            at = tonumber(entries[i + 1]), group = group }
          if #found >= n then break end
        end
      end
      if #entries < batch * 2 then break end
      offset = offset + batch
    end
    if #found >= n then break end
  end
  return found
end

-- The names ARGV[first..] as a set, or nil when none is given (any name).
local function wantedNames(first)
  if first > #ARGV then return nil end
  local wanted = {}
  for i = first, #ARGV do wanted[ARGV[i]] = true end
  return wanted
end

-- Rotation order: last served first (never: 0), then the claim order of the member's first job.
local function rotationOrder(a, b)
  if a.seq ~= b.seq then return a.seq < b.seq end
  local x, y = a.jobs[1], b.jobs[1]
  local px, py = tonumber(x.priority), tonumber(y.priority)
  if px ~= py then return px > py end
  return claimOrder(x, y)
end

-- The jobs a claim of up to `limit` jobs takes at `now` (a number; `nowArg` as given), in the
-- order it takes them, without changing anything. `lanes` are the lanes of the names asked for
-- (the jobs without a group), `wanted` those names as a set (nil: any). Each pick is a due entry
-- (see groupDue and dueInOrder) with `member`, the group it counts for.
local function planClaim(ctl, now, nowArg, limit, lanes, wanted)
  if ctl.paused or ctl.limitedUntil > now then return {} end
  local allowed = limit
  if ctl.concurrency then
    allowed = math.min(allowed, ctl.concurrency - (tonumber(redis.call('HGET', COUNTS, 'running')) or 0))
  end
  if ctl.rateMax then
    allowed = math.min(allowed, ctl.rateMax - windowCount(ctl.winStart, ctl.winCount, now, ctl.ratePer))
  end
  if allowed <= 0 then return {} end
  local members = {}
  -- The jobs without a group are one more member of the rotation.
  if #lanes > 0 then
    local jobs = dueInOrder(lanes, nowArg, 1)
    if #jobs > 0 then
      members[1] = { group = false, seq = ctl.nogroupServed, jobs = jobs, next = 1, allowed = math.huge }
    end
  end
  -- Groups in rotation order, a chunk at a time, until `allowed` members are sure to come first:
  -- serve sequences above 0 are unique, so no later group can tie with one already read.
  local rank = 0
  while true do
    local entries = redis.call('ZRANGE', GROUPS, rank, rank + GROUP_CHUNK - 1, 'WITHSCORES')
    if #entries == 0 then break end
    local groups, seqs = {}, {}
    for i = 1, #entries, 2 do
      groups[#groups + 1] = entries[i]
      seqs[#seqs + 1] = tonumber(entries[i + 1])
    end
    local running = redis.call('HMGET', GRUNNING, unpack(groups))
    local limited = redis.call('HMGET', GLIMITED, unpack(groups))
    local windows = ctl.groupRateMax and redis.call('HMGET', GWINDOW, unpack(groups)) or {}
    for i, group in ipairs(groups) do
      local groupAllowed = groupAllowance(ctl, running[i], limited[i], windows[i], now)
      if groupAllowed > 0 then
        local jobs = groupDue(group, nowArg, wanted, 1)
        if #jobs > 0 then
          members[#members + 1] = { group = group, seq = seqs[i], jobs = jobs, next = 1,
            allowed = groupAllowed, window = windows[i] }
        end
      end
    end
    rank = rank + GROUP_CHUNK
    local last = seqs[#seqs]
    if #groups < GROUP_CHUNK then break end
    if last > 0 then
      local ahead = 0
      for _, member in ipairs(members) do
        if member.seq <= last then ahead = ahead + 1 end
      end
      if ahead >= allowed then break end
    end
  end
  table.sort(members, rotationOrder)
  -- Rounds of one job per member, in rotation order.
  local picks, rotation = {}, members
  while #picks < allowed and #rotation > 0 do
    local kept = {}
    for _, member in ipairs(rotation) do
      if #picks >= allowed then break end
      local entry = member.jobs[member.next]
      if not entry and not member.exhausted then
        local want = member.next - 1 + math.min(member.allowed, allowed - #picks)
        if member.group then
          member.jobs = groupDue(member.group, nowArg, wanted, want)
        else
          member.jobs = dueInOrder(lanes, nowArg, want)
        end
        member.exhausted = #member.jobs < want
        entry = member.jobs[member.next]
      end
      if entry then
        entry.member = member
        picks[#picks + 1] = entry
        member.next = member.next + 1
        member.allowed = member.allowed - 1
        if member.allowed > 0 then kept[#kept + 1] = member end
      end
    end
    rotation = kept
  end
  return picks
end

-- Leases job `id` to `workerId` until `lockedUntil` (claimed at `nowArg`) with its next attempt:
-- status running. Appends the job, as readJob returns it, to `claimed`, and counts the status it
-- left in `left`. Its moves out of its listing index and into RUNNING are added to `moves` (see
-- newMoves in includes/queue.lua), which the caller applies once for all the jobs it leases.
-- Returns false, changing nothing, when the job's hash is gone (evicted under maxmemory, or
-- deleted behind the store's back).
local function leaseJob(id, nowArg, lockedUntil, workerId, claimed, left, moves)
  local job = jobKey(id)
  -- One read: the job as it was, patched below with what the lease changes.
  local fields = readJob(job)
  local status = fields[FIELD_AT.status]
  if not status then return false end
  local attempt = tostring(tonumber(fields[FIELD_AT.attempt]) + 1)
  left[status] = (left[status] or 0) + 1
  if listed(status) then moveOut(moves, listedKey(status), id) end
  redis.call('HSET', job, 'status', 'running', 'startedAt', nowArg, 'lockedUntil', lockedUntil,
    'lockedBy', workerId, 'attempt', attempt)
  moveIn(moves, RUNNING, lockedUntil, id)
  fields[FIELD_AT.status] = 'running'
  fields[FIELD_AT.startedAt] = nowArg
  fields[FIELD_AT.lockedUntil] = lockedUntil
  fields[FIELD_AT.lockedBy] = workerId
  fields[FIELD_AT.attempt] = attempt
  claimed[#claimed + 1] = fields
  return true
end

-- Claims the planned jobs (see planClaim): each becomes running with the next attempt and a lease,
-- and is counted in the serve order, the queue's and its group's windows and its group's running
-- count. Returns the claimed jobs.
local function applyClaim(ctl, picks, now, nowArg, lockedUntil, workerId)
  local claimed, left, emptied, members, moves = {}, {}, {}, {}, newMoves()
  local serve = ctl.serve
  for _, entry in ipairs(picks) do
    local id, member = entry.id, entry.member
    if member.group then
      moveOut(moves, gwaitKey(entry.priority, member.group), id)
    else
      moveOut(moves, waitKey(entry.priority, entry.name), id)
    end
    emptied[#emptied + 1] = entry
    -- A job whose hash is gone (evicted under maxmemory, or deleted behind the store's back)
    -- leaves a stray entry, dropped below: nothing to claim, count or hold a group's place for.
    if leaseJob(id, nowArg, lockedUntil, workerId, claimed, left, moves) then
      if member.group then redis.call('HINCRBY', GRUNNING, member.group, 1) end
      serve = serve + 1
      if not member.served then members[#members + 1] = member end
      member.served = serve
      member.claims = (member.claims or 0) + 1
    end
  end
  applyMoves(moves)
  if #claimed == 0 then return claimed end
  for _, member in ipairs(members) do
    if member.group then
      redis.call('HSET', GSERVED, member.group, member.served)
      redis.call('ZADD', GROUPS, 'XX', member.served, member.group)
      if ctl.groupRateMax then
        local count = groupWindowCount(ctl, member.window, now) + member.claims
        local start = member.window and string.match(member.window, '^(%S+) ')
        redis.call('HSET', GWINDOW, member.group,
          string.format('%.17g %d', windowOf(start, now, ctl.groupRatePer), count))
      end
    else
      redis.call('HSET', CONTROL, 'nogroupServed', member.served)
    end
  end
  redis.call('HSET', CONTROL, 'serve', serve)
  if ctl.rateMax then
    local count = windowCount(ctl.winStart, ctl.winCount, now, ctl.ratePer) + #claimed
    redis.call('HSET', CONTROL, 'winStart', string.format('%.17g', windowOf(ctl.winStart, now, ctl.ratePer)),
      'winCount', count)
  end
  for _, entry in ipairs(emptied) do
    if entry.member.group then tidyGroup(entry.member.group, entry.priority) else tidyLane(entry.name, entry.priority) end
  end
  for status, n in pairs(left) do count(status, -n) end
  count('running', #claimed)
  return claimed
end
