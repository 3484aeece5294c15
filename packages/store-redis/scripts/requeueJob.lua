-- requeueJob: moves a dead or cancelled job back to pending at now with a fresh budget (retryCount
-- and lostLeases 0), retaking its uniqueKey. ARGV[1] id, ARGV[2] now. Returns { 'ok', 1, job }
-- when requeued, { 'ok', 0, job } for a job in another status (unchanged),
-- { 'unique', key, holderId }, or false when the job does not exist.
-- @include queue
-- @include events
-- @include requeue
local id, now = ARGV[1], ARGV[2]
local key = jobKey(id)
local state = redis.call('HMGET', key, unpack(REQUEUE_FIELDS))
local status = state[1]
if not status then return false end
if status ~= 'dead' and status ~= 'cancelled' then return { 'ok', 0, readJob(key) } end
local held = requeue(id, key, state, now)
if held then return { 'unique', held[1], held[2] } end
publishJobs()
return { 'ok', 1, readJob(key) }
