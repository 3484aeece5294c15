-- throughput (read-only): the throughput history of minutes in [since, until) (see
-- addThroughput.lua for KEYS). ARGV[1] since, ARGV[2] until ('+inf' for no end), ARGV[3] queue
-- ('' for every queue, else '=' .. queue). Returns field, completed, failed triples.
local COMPLETED, FAILED, MINUTES = KEYS[1], KEYS[2], KEYS[3]
local fields = redis.call('ZRANGEBYSCORE', MINUTES, ARGV[1], '(' .. ARGV[2])
local reply = {}
for _, field in ipairs(fields) do
  if ARGV[3] == '' or string.sub(field, string.find(field, '|', 1, true) + 1) == string.sub(ARGV[3], 2) then
    reply[#reply + 1] = field
    reply[#reply + 1] = redis.call('HGET', COMPLETED, field) or '0'
    reply[#reply + 1] = redis.call('HGET', FAILED, field) or '0'
  end
end
return reply
