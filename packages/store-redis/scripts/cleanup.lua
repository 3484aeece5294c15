-- cleanup: deletes up to `batch` completed, dead and cancelled jobs of one queue that finished
-- before their status's cutoff. ARGV[1] completedBefore, ARGV[2] deadBefore,
-- ARGV[3] cancelledBefore, ARGV[4] batch. Returns how many were deleted.
-- A job whose hash already expired (the TTL safety net) still leaves its indexes here.
-- A deleted job's deduplication window (see createDedupedJob.lua) goes with it once it can no
-- longer hold anything back: a debounce window, or a throttle window that closed before the cutoff.
-- @include queue
local DEDUPE = base .. 'dedupe'

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
-- Earlier versions kept a listing index of running jobs, which nothing updates any more.
redis.call('DEL', listedKey('running'))
local batch = tonumber(ARGV[4])
local deleted = 0
local finals = { { COMPLETED, 'completed', ARGV[1] }, { DEAD, 'dead', ARGV[2] }, { CANCELLED, 'cancelled', ARGV[3] } }
for _, final in ipairs(finals) do
  local zset, status, cutoff = final[1], final[2], final[3]
  local ids = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. cutoff, 'LIMIT', 0, batch - deleted)
  for _, id in ipairs(ids) do
    dropWindow(id, cutoff)
    redis.call('DEL', jobKey(id))
    redis.call('ZREM', CREATED, id)
    redis.call('ZREM', listedKey(status), id)
    redis.call('ZREM', zset, id)
  end
  if #ids > 0 then count(status, -#ids) end
  deleted = deleted + #ids
  if deleted >= batch then break end
end
return deleted
