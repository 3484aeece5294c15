-- cleanup: deletes up to `batch` completed, dead and cancelled jobs of one queue that finished
-- before their status's cutoff. ARGV[1] completedBefore, ARGV[2] deadBefore,
-- ARGV[3] cancelledBefore, ARGV[4] batch. Returns how many were deleted.
-- A job whose hash already expired (the TTL safety net) still leaves its indexes here; a deleted
-- job's deduplication window goes with it (see deleteFinished in includes/queue.lua).
-- @include queue
-- Earlier versions kept a listing index of running jobs, which nothing updates any more.
redis.call('DEL', listedKey('running'))
local batch = tonumber(ARGV[4])
local deleted = 0
local finals = { { COMPLETED, 'completed', ARGV[1] }, { DEAD, 'dead', ARGV[2] }, { CANCELLED, 'cancelled', ARGV[3] } }
for _, final in ipairs(finals) do
  deleted = deleted + deleteFinished(final[1], final[2], final[3], batch - deleted)
  if deleted >= batch then break end
end
return deleted
