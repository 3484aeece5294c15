-- listInstances: the presence records of scheduler instances that have not expired, deleting the
-- others. KEYS[1] hash instance id -> '<expiresAt ms> <record JSON>'. ARGV[1] now (epoch ms).
-- Returns the live values.
local live = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local expiresAt = tonumber(string.match(entries[i + 1], '^(%-?%d+) '))
  if expiresAt and expiresAt > tonumber(ARGV[1]) then
    live[#live + 1] = entries[i + 1]
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
return live
