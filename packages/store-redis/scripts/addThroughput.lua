-- addThroughput: adds completed and failed counts to the per-minute, per-queue throughput history
-- and deletes the minutes before `keepSince`. KEYS[1] hash `<minute>|<queue>` -> completed,
-- KEYS[2] hash `<minute>|<queue>` -> failed, KEYS[3] zset of those fields scored by minute (epoch
-- ms). ARGV[1] keepSince, then minute, queue, completed, failed per sample. Returns nothing.
local COMPLETED, FAILED, MINUTES = KEYS[1], KEYS[2], KEYS[3]
for i = 2, #ARGV, 4 do
  local field = ARGV[i] .. '|' .. ARGV[i + 1]
  redis.call('HINCRBY', COMPLETED, field, ARGV[i + 2])
  redis.call('HINCRBY', FAILED, field, ARGV[i + 3])
  redis.call('ZADD', MINUTES, 'NX', ARGV[i], field)
end
local old = redis.call('ZRANGEBYSCORE', MINUTES, '-inf', '(' .. ARGV[1])
for i = 1, #old, 1000 do
  local chunk = { unpack(old, i, math.min(i + 999, #old)) }
  redis.call('HDEL', COMPLETED, unpack(chunk))
  redis.call('HDEL', FAILED, unpack(chunk))
  redis.call('ZREM', MINUTES, unpack(chunk))
end
return false
