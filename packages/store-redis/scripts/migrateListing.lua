-- migrateListing: moves up to ARGV[1] ids from the all-jobs index of earlier versions (KEYS[6],
-- `created`) to the listing index of each job's status (see listedKey in includes/queue.lua),
-- dropping ids whose job is gone. Returns how many ids the old index still holds.
-- @include queue
local entries = redis.call('ZRANGE', CREATED, 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local id = entries[i]
  local status = redis.call('HGET', jobKey(id), 'status')
  relist(id, entries[i + 1], nil, status)
  redis.call('ZREM', CREATED, id)
end
return redis.call('ZCARD', CREATED)
