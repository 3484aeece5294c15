-- createDedupedJob: inserts one job under a deduplication window of its queue (Store.createDedupedJob):
-- 'throttle' drops the job while the key's window is open; 'debounce' folds it into the window's
-- job while that one still waits (scheduled or pending): new payload, new scheduledAt capped at
-- the window's opening plus maxWait. Otherwise the job is inserted and opens a new window.
-- DEDUPE hash: key -> JSON [jobId, openedAt, expiresAt, mode] (epoch ms as strings).
-- KEYS[1..8] the queue, KEYS[9] (optional) the prefix's queue set (see registerQueue).
-- ARGV[1] now, ARGV[2] mode, ARGV[3] key, ARGV[4] ttl ms, ARGV[5] maxWait ms ('' = none), ARGV[6]
-- the event's token ('' for none, see includes/events.lua), then the JOB_ARGS arguments of the
-- job. Publishes a jobs event when a job was inserted or a debounced job became pending.
-- Returns { 'ok' | 'new' (see createJobs.lua), outcome, jobId, job or false }, or an error reply
-- { 'unique', key, holderId } / { 'duplicate-id', id }.
-- @include queue
-- @include events
local JOB = 7
local token = ARGV[6]
local now, mode, dedupeKey, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local maxWait = ARGV[5] ~= '' and tonumber(ARGV[5]) or nil
local fresh = redis.call('EXISTS', COUNTS) == 0
local marker = fresh and 'new' or 'ok'
registerQueue(8)
local function ms(value) return string.format('%.17g', value) end

local stored = redis.call('HGET', DEDUPE, dedupeKey)
local window = stored and cjson.decode(stored) or nil
if window and mode == 'throttle' and now < tonumber(window[3]) then
  local key = jobKey(window[1])
  local job = redis.call('EXISTS', key) == 1 and readJob(key) or false
  return { marker, 'throttled', window[1], job }
end
if window and mode == 'debounce' then
  local key = jobKey(window[1])
  local state = redis.call('HMGET', key, 'status', 'priority', 'name', 'group', 'createdAt')
  if state[1] == 'scheduled' or state[1] == 'pending' then
    local at = tonumber(ARGV[JOB + 6])
    if maxWait then at = math.min(at, tonumber(window[2]) + maxWait) end
    local status = at > now and 'scheduled' or 'pending'
    leaveWaiting(window[1], state[3], state[2], state[4])
    redis.call('HSET', key, 'payload', ARGV[JOB + 2], 'scheduledAt', ms(at), 'status', status)
    enterWaiting(window[1], state[3], state[2], ms(at), state[4])
    if status ~= state[1] then
      relist(window[1], state[5], state[1], status)
      count(state[1], -1)
      count(status, 1)
    end
    if status == 'pending' then publishJobs(token) end
    return { marker, 'debounced', window[1], readJob(key) }
  end
end
if mode == 'debounce' and maxWait then
  local at = math.min(tonumber(ARGV[JOB + 6]), now + maxWait)
  ARGV[JOB + 6] = ms(at)
  ARGV[JOB + 8] = at > now and 'scheduled' or 'pending'
end
local plan, err = planInsert(JOB, 1, 'reject')
if not plan then return err end
applyInsert(plan)
local id = ARGV[JOB]
redis.call('HSET', DEDUPE, dedupeKey, cjson.encode({ id, ms(now), ms(now + ttl), mode }))
redis.call('HSET', jobKey(id), 'dedupeKey', dedupeKey)
publishJobs(token)
return { marker, 'created', id, readJob(jobKey(id)) }
