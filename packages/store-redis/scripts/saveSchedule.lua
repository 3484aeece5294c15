-- saveSchedule: creates or replaces a schedule hash; with onlyIfAbsent, only creates it.
-- KEYS[1] the schedule. ARGV[1] onlyIfAbsent ('1' | '0'), then field, value pairs.
-- Returns 1 when written, 0 when it existed and onlyIfAbsent was set.
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
