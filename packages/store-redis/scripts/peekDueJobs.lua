-- peekDueJobs (read-only): the first `limit` due jobs of one queue in claim order, as
-- { id, priority, scheduledAt, ... }, so that a claim across queues can merge their orders.
-- ARGV[1] now, ARGV[2] limit.
-- @include queue
local now, remaining = ARGV[1], tonumber(ARGV[2])
local found = {}
for _, priority in ipairs(redis.call('ZREVRANGE', PRIOS, 0, -1)) do
  if remaining <= 0 then break end
  local entries = redis.call('ZRANGEBYSCORE', waitKey(priority), '-inf', now, 'WITHSCORES', 'LIMIT', 0, remaining)
  for i = 1, #entries, 2 do
    found[#found + 1] = entries[i]
    found[#found + 1] = priority
    found[#found + 1] = entries[i + 1]
  end
  remaining = remaining - #entries / 2
end
return found
