-- listJobs (read-only): the first `want` jobs of one queue in createdAt, id order that match the
-- filter, as { createdAt, job, ... }. ARGV[1] statuses ('' = any, else ',a,b,'), ARGV[2] name
-- ('' = any, else '=' .. name), ARGV[3] want.
-- @include queue
local statuses, name, want = ARGV[1], ARGV[2], tonumber(ARGV[3])
local found = {}
local start, step = 0, 256
while want > 0 do
  local entries = redis.call('ZRANGE', CREATED, start, start + step - 1, 'WITHSCORES')
  if #entries == 0 then break end
  for i = 1, #entries, 2 do
    local key = jobKey(entries[i])
    local state = redis.call('HMGET', key, 'status', 'name')
    if state[1] and (statuses == '' or string.find(statuses, ',' .. state[1] .. ',', 1, true))
      and (name == '' or '=' .. state[2] == name) then
      found[#found + 1] = entries[i + 1]
      found[#found + 1] = readJob(key)
      want = want - 1
      if want == 0 then break end
    end
  end
  start = start + step
end
return found
