-- updateQueue: writes a queue's controls (creating its CONTROL hash, see includes/controls.lua)
-- and returns them; wakes every instance (a jobs event) when the queue is not paused afterwards.
-- KEYS[1..8] the queue, KEYS[9] (optional) the prefix's queue set (see registerQueue).
-- ARGV[1] updatedAt, then field, value pairs of CONTROL to write ('' deletes the field).
-- Returns { 1 when the queue is new to Redis (its CONTROL and counts hashes did not exist) else
-- 0, the CONTROL hash as field, value pairs }.
-- @include queue
-- @include events
local fresh = redis.call('EXISTS', CONTROL) == 0 and redis.call('EXISTS', COUNTS) == 0
for i = 2, #ARGV, 2 do
  if ARGV[i] == 'limitedUntil' then
    -- Lifting the queue's push-back lifts its groups' too (the key of GLIMITED in includes/controls.lua).
    redis.call('DEL', base .. 'glimited')
  end
  if ARGV[i + 1] == '' then
    redis.call('HDEL', CONTROL, ARGV[i])
  else
    redis.call('HSET', CONTROL, ARGV[i], ARGV[i + 1])
  end
end
redis.call('HSET', CONTROL, 'configured', '1', 'updatedAt', ARGV[1])
registerQueue(8)
if redis.call('HGET', CONTROL, 'paused') ~= '1' then publishJobs() end
return { fresh and 1 or 0, redis.call('HGETALL', CONTROL) }
