-- nextDueAt (read-only): the earliest scheduledAt of a waiting job of one queue, or false.
-- @include queue
local earliest = false
for _, priority in ipairs(redis.call('ZRANGE', PRIOS, 0, -1)) do
  local head = redis.call('ZRANGE', waitKey(priority), 0, 0, 'WITHSCORES')
  if head[2] and (not earliest or tonumber(head[2]) < tonumber(earliest)) then earliest = head[2] end
end
return earliest
