-- createJobsAndClaim: createJobs.lua then claimDueJobs.lua on one queue, as one command: inserts a
-- batch of jobs into the queue, all or nothing (a held uniqueKey rejects the batch), registers the
-- queue, then claims from it as claimDueJobs.lua does (older jobs included, under the queue's
-- controls). A failed insert returns before the claim: nothing is inserted and nothing is leased.
-- The jobs event is published only when a new job is left waiting (not claimed here), so that the
-- caller's own claim loop is not woken for jobs it already holds.
-- KEYS[1..8] the queue, KEYS[9] (optional) the prefix's queue set (see registerQueue).
-- ARGV[1] now, ARGV[2] lockedUntil, ARGV[3] workerId, ARGV[4] limit, ARGV[5] the event's token
-- ('' for none, see includes/events.lua), ARGV[6] n, the number of new jobs, then JOB_ARGS
-- arguments per job, then the job names to claim (none: any name).
-- Returns { 'ok' | 'new', published (1 | 0), the claimed jobs as one JSON text (encodeJobs in
-- includes/claim.lua) }, 'new' when the queue was new to Redis (see createJobs.lua), or the error
-- reply of createJobs.lua.
-- @include queue
-- @include lanes
-- @include controls
-- @include events
-- @include claim
local fresh = redis.call('EXISTS', COUNTS) == 0
local n = tonumber(ARGV[6])
local plan, err = planInsert(7, n, 'reject')
if not plan then return err end
local inserted = applyInsert(plan)
registerQueue(8)
local claimed = claimDue(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), 7 + n * JOB_ARGS)
local taken = {}
for _, job in ipairs(claimed) do taken[job[FIELD_AT.id]] = true end
local published = 0
for _, id in ipairs(inserted) do
  if not taken[id] then
    publishJobs(ARGV[5])
    published = 1
    break
  end
end
return { fresh and 'new' or 'ok', published, encodeJobs(claimed) }
