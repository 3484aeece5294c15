-- deleteJob: deletes one job that is not running, with everything that refers to it.
-- ARGV[1] id. Returns the job as it was, or false when it does not exist or is running.
-- @include queue
-- @include removal
local id = ARGV[1]
local key = jobKey(id)
local state = redis.call('HMGET', key, unpack(REMOVE_FIELDS))
if not state[1] or state[1] == 'running' then return false end
local job = readJob(key)
removeJob(id, key, state)
return job
