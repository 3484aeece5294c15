-- Shared by every queue script (inlined where a script says "-- @include queue").
--
-- KEYS[1] names     set: the job names that have waiting jobs in the queue (its lanes)
-- KEYS[2] running   zset: job id scored by lease expiry (lockedUntil, epoch ms)
-- KEYS[3] completed zset: job id scored by completedAt
-- KEYS[4] dead      zset: job id scored by completedAt
-- KEYS[5] cancelled zset: job id scored by completedAt
-- KEYS[6] created   zset: the all-jobs listing index of earlier versions, kept only until
--                   migrateListing.lua has moved its ids to the status indexes (LISTED below)
-- KEYS[7] unique    hash: uniqueKey -> id of the active job holding it
-- KEYS[8] counts    hash: status -> number of jobs
--
-- The waiting jobs of one job name form a lane: one zset per priority in use
-- (<base>wait:<priority>:<name>, job id scored by scheduledAt) and the zset of those priorities
-- (<base>prios:<name>). Job hashes are <base>job:<id>. A job with a group waits in its group
-- instead (see "Groups" below), never in a lane. They are all named from the base of KEYS[1],
-- `<prefix>{<queue>}:`, which carries the queue's hash tag: every key a script touches is in the
-- slot of KEYS[1].
local base = string.sub(KEYS[1], 1, -6)
-- A key prefix has no '{' (it is validated), so the queue is what lies between it and '}:'.
local PREFIX = string.match(base, '^[^{]*')
local QUEUE = string.sub(base, #PREFIX + 2, -3)
local NAMES, RUNNING, COMPLETED, DEAD, CANCELLED, CREATED, UNIQUE, COUNTS =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]

-- FIELDS: the fields returned for a job, in the order the client decodes them, written from
-- JOB_FIELDS in src/job-codec.ts (the one list of them) when the scripts are loaded.
-- FIELD_AT: the position of each field in FIELDS (and in what readJob returns), written likewise.
-- @include job-fields

-- The queue's controls and claim bookkeeping (see includes/controls.lua). The hash exists once
-- updateQueue wrote it, a handler pushed the queue or a group back, or a grouped job was inserted:
-- a claim of a queue without it takes the plain path.
local CONTROL = base .. 'control'
-- Groups: the waiting jobs of group g sit in <base>gwait:<priority>:<g> (ids scored by
-- scheduledAt), one zset per priority in use, listed in <base>gprios:<g>. GROUPS holds the groups
-- that have waiting jobs, scored by the serve sequence of the claim that last took a job of the
-- group (0: never), which GSERVED keeps for every group served. GRUNNING counts each group's
-- running jobs.
local GROUPS, GSERVED, GRUNNING = base .. 'groups', base .. 'gserved', base .. 'grunning'

local function jobKey(id) return base .. 'job:' .. id end

-- Adds the queue to the prefix's queue set (P:queues) when the caller passed that set's key after
-- the script's `own` keys: on a single server a script that inserts jobs registers its queue
-- itself, in the same command; on a Cluster the set lives in another slot, and the client adds
-- the queue with a command of its own (see src/queue-directory.ts).
local function registerQueue(own)
  local queues = KEYS[own + 1]
  if queues then redis.call('SADD', queues, QUEUE) end
end
-- The listing index of a status: <base>listed:<status>, job ids scored by createdAt, so that
-- members of equal score sort by id: the listJobs order. Every job is in the index of its status,
-- except a running job: RUNNING holds every running job already (as many as the workers hold), and
-- a listing sorts those itself (see openRunningReader in includes/selection.lua), so that a claim
-- writes no listing index and a completion only adds the job to its final status's.
local LISTED = {}
local function listedKey(status)
  local key = LISTED[status]
  if not key then
    key = base .. 'listed:' .. status
    LISTED[status] = key
  end
  return key
end
local function listed(status) return status and status ~= 'running' end
-- A job changes status `from` -> `to` (either nil for none): it moves between listing indexes.
-- `createdAt` is needed only when `to` has an index (nil otherwise).
local function relist(id, createdAt, from, to)
  if from == to then return end
  if listed(from) then redis.call('ZREM', listedKey(from), id) end
  if listed(to) then redis.call('ZADD', listedKey(to), createdAt, id) end
end
-- Batched sorted-set changes: a script that moves many jobs collects the members it takes out of
-- and puts into each zset, then applies them with one ZREM and one ZADD per zset (in chunks of
-- MOVE_CHUNK values: unpack is bounded by Lua's stack) instead of a call per job. Removals are
-- applied before additions, zsets in the order first named.
local MOVE_CHUNK = 4000
local function newMoves() return { keys = {}, out = {}, into = {} } end
local function movesOf(moves, side, key)
  local list = moves[side][key]
  if not list then
    list = {}
    moves[side][key] = list
    moves.keys[#moves.keys + 1] = { side, key }
  end
  return list
end
local function moveOut(moves, key, id)
  local list = movesOf(moves, 'out', key)
  list[#list + 1] = id
end
local function moveIn(moves, key, score, id)
  local list = movesOf(moves, 'into', key)
  list[#list + 1] = score
  list[#list + 1] = id
end
local function applyMoves(moves)
  for _, side in ipairs({ 'out', 'into' }) do
    local command = side == 'out' and 'ZREM' or 'ZADD'
    for _, named in ipairs(moves.keys) do
      if named[1] == side then
        local list = moves[side][named[2]]
        for i = 1, #list, MOVE_CHUNK do
          redis.call(command, named[2], unpack(list, i, math.min(i + MOVE_CHUNK - 1, #list)))
        end
      end
    end
  end
end
local function gpriosKey(group) return base .. 'gprios:' .. group end
local function gwaitKey(priority, group) return base .. 'gwait:' .. priority .. ':' .. group end
local function priosKey(name) return base .. 'prios:' .. name end
local function waitKey(priority, name) return base .. 'wait:' .. priority .. ':' .. name end
local function readJob(key) return redis.call('HMGET', key, unpack(FIELDS)) end
local function count(status, delta) redis.call('HINCRBY', COUNTS, status, delta) end

-- A waiting job sits in its lane's (or its group's) zset of its priority, scored by scheduledAt;
-- claim order within a priority is then scheduledAt, then id (members of equal score sort
-- bytewise). `group` is nil (or false, as HMGET gives a missing field) for none.
local function enterWaiting(id, name, priority, scheduledAt, group)
  if group then
    redis.call('ZADD', gwaitKey(priority, group), scheduledAt, id)
    -- A group that starts waiting takes its place in the rotation, by when it was last served.
    if redis.call('ZADD', gpriosKey(group), priority, priority) == 1 then
      redis.call('ZADD', GROUPS, 'NX', redis.call('HGET', GSERVED, group) or 0, group)
    end
    -- Grouped jobs make the queue's claims take the controlled path (fair rotation).
    if redis.call('EXISTS', CONTROL) == 0 then redis.call('HSET', CONTROL, 'serve', 0) end
    return
  end
  redis.call('ZADD', waitKey(priority, name), scheduledAt, id)
  -- A priority new to the lane may be the lane's first: the name then starts waiting.
  if redis.call('ZADD', priosKey(name), priority, priority) == 1 then redis.call('SADD', NAMES, name) end
end

-- Drops the indexes of a group's priority, and the group from the rotation, once they hold no job.
local function tidyGroup(group, priority)
  if redis.call('EXISTS', gwaitKey(priority, group)) == 1 then return end
  local prios = gpriosKey(group)
  redis.call('ZREM', prios, priority)
  if redis.call('EXISTS', prios) == 0 then redis.call('ZREM', GROUPS, group) end
end

-- Drops the indexes of a lane's priority, and of the lane, once they hold no job.
local function tidyLane(name, priority)
  if redis.call('EXISTS', waitKey(priority, name)) == 1 then return end
  local prios = priosKey(name)
  redis.call('ZREM', prios, priority)
  if redis.call('EXISTS', prios) == 0 then redis.call('SREM', NAMES, name) end
end

local function leaveWaiting(id, name, priority, group)
  if group then
    redis.call('ZREM', gwaitKey(priority, group), id)
    tidyGroup(group, priority)
    return
  end
  redis.call('ZREM', waitKey(priority, name), id)
  tidyLane(name, priority)
end

-- A running job of `group` (nil or false for none) stops running: out of its group's running count.
local function leaveGroupRunning(group)
  if group and redis.call('HINCRBY', GRUNNING, group, -1) <= 0 then redis.call('HDEL', GRUNNING, group) end
end

-- A running job stops running: out of the running zset and of its group's running count.
local function leaveRunning(id, group)
  redis.call('ZREM', RUNNING, id)
  leaveGroupRunning(group)
end

-- Whether a job's { status, attempt, lockedBy } (the first three values of `state`) is the running
-- attempt `attempt` held by `lockedBy`: the fencing token of a lease (docs/architecture.md §2). The
-- holder makes it unique even when a claim lost in a crash of Redis hands the same attempt number
-- out again.
local function holds(state, attempt, lockedBy)
  return state[1] == 'running' and state[2] == attempt and state[3] == lockedBy
end

local function releaseUnique(key, id)
  if key and redis.call('HGET', UNIQUE, key) == id then redis.call('HDEL', UNIQUE, key) end
end

-- Appends a failed attempt to the job's history, keeping the last maxHistory entries.
local function appendFailure(key, attempt, message, now, maxHistory)
  local history = cjson.decode(redis.call('HGET', key, 'history') or '[]')
  history[#history + 1] = { attempt = tonumber(attempt), error = message, failedAt = tonumber(now) }
  while #history > maxHistory do table.remove(history, 1) end
  redis.call('HSET', key, 'history', cjson.encode(history))
end

-- A finished job keeps its hash until cleanup. The safety net should cleanup never run
-- (finishedJobTtl, `ttl` seconds, 0 for none): a dead or cancelled job's hash expires after it; a
-- completed job is deleted by a later completion in its queue (see deleteFinished), which costs a
-- completion no EXPIRE per job. `from` is the status it leaves (already uncounted by the caller),
-- `createdAt` its listing score. finishHash is the job's own part: its hash. finish() also puts
-- the job in `zset` and in the listing index of `status`, and counts it.
local function finishHash(key, status, now, ttl)
  redis.call('HSET', key, 'status', status, 'completedAt', now)
  redis.call('HDEL', key, 'lockedUntil', 'lockedBy')
  if tonumber(ttl) > 0 then redis.call('EXPIRE', key, ttl) end
end
local function finish(key, id, from, status, zset, now, ttl, createdAt)
  finishHash(key, status, now, ttl)
  redis.call('ZADD', zset, now, id)
  relist(id, createdAt, from, status)
  count(status, 1)
end

-- Writes a new job (its id is known to be free). uniqueKey and group are nil for none.
local function insertJob(id, name, payload, priority, maxRetries, timeout, scheduledAt, createdAt,
                         status, metadata, uniqueKey, group)
  local key = jobKey(id)
  redis.call('HSET', key, 'id', id, 'name', name, 'payload', payload, 'queue', QUEUE,
    'priority', priority, 'maxRetries', maxRetries, 'retryCount', 0, 'timeout', timeout,
    'scheduledAt', scheduledAt, 'createdAt', createdAt, 'status', status, 'metadata', metadata,
    'attempt', 0, 'lostLeases', 0, 'history', '[]')
  if uniqueKey then
    redis.call('HSET', key, 'uniqueKey', uniqueKey)
    redis.call('HSET', UNIQUE, uniqueKey, id)
  end
  if group then redis.call('HSET', key, 'group', group) end
  redis.call('ZADD', listedKey(status), createdAt, id)
  enterWaiting(id, name, priority, scheduledAt, group)
end

-- An optional string argument: '' for none, else '=' .. value.
local function optionalArg(value)
  if value == '' then return nil end
  return string.sub(value, 2)
end

-- New jobs come as 12 arguments each: id, name, payload, priority, maxRetries, timeout,
-- scheduledAt, createdAt, status, metadata, uniqueKey and group (each '' for none, else '=' ..
-- value).
local JOB_ARGS = 12

-- Checks a batch of new jobs without changing anything. Returns the offsets of the jobs to insert,
-- or nil and an error reply. A held uniqueKey rejects the batch ('reject') or skips the job ('skip').
local function planInsert(first, n, mode)
  local plan, ids, keys = {}, {}, {}
  for i = 0, n - 1 do
    local o = first + i * JOB_ARGS
    local id = ARGV[o]
    if ids[id] or redis.call('EXISTS', jobKey(id)) == 1 then return nil, { 'duplicate-id', id } end
    ids[id] = true
    local take = true
    local unique = ARGV[o + 10]
    if unique ~= '' then
      local key = string.sub(unique, 2)
      local holder = redis.call('HGET', UNIQUE, key)
      if holder or keys[key] then
        if mode == 'reject' then return nil, { 'unique', key, holder or '' } end
        take = false
      else
        keys[key] = true
      end
    end
    if take then plan[#plan + 1] = o end
  end
  return plan
end

-- Inserts the planned jobs; returns their ids.
local function applyInsert(plan)
  local inserted, added = {}, {}
  for _, o in ipairs(plan) do
    local unique, status = ARGV[o + 10], ARGV[o + 8]
    insertJob(ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6],
      ARGV[o + 7], status, ARGV[o + 9], optionalArg(unique), optionalArg(ARGV[o + 11]))
    added[status] = (added[status] or 0) + 1
    inserted[#inserted + 1] = ARGV[o]
  end
  for status, n in pairs(added) do count(status, n) end
  return inserted
end

-- Deduplication windows (see createDedupedJob.lua): key -> JSON [jobId, openedAt, expiresAt, mode].
local DEDUPE = base .. 'dedupe'
-- A deleted job's deduplication window goes with it once it can no longer hold anything back: a
-- debounce window, or a throttle window that closed before `cutoff`.
local function dropWindow(id, cutoff)
  local dedupeKey = redis.call('HGET', jobKey(id), 'dedupeKey')
  if not dedupeKey then return end
  local stored = redis.call('HGET', DEDUPE, dedupeKey)
  if not stored then return end
  local window = cjson.decode(stored)
  if window[1] == id and (window[4] == 'debounce' or tonumber(window[3]) < tonumber(cutoff)) then
    redis.call('HDEL', DEDUPE, dedupeKey)
  end
end
-- Deletes up to `limit` jobs of final status `status` (its zset `zset`, scored by completedAt)
-- that finished before `cutoff` (epoch ms), with their listing entries, deduplication windows and
-- count. A job whose hash already expired still leaves its indexes here. Returns how many.
local function deleteFinished(zset, status, cutoff, limit)
  local ids = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    dropWindow(id, cutoff)
    redis.call('DEL', jobKey(id))
    redis.call('ZREM', CREATED, id)
    redis.call('ZREM', listedKey(status), id)
    redis.call('ZREM', zset, id)
  end
  if #ids > 0 then count(status, -#ids) end
  return #ids
end
