-- Store events (inlined where a script says "-- @include events", after "-- @include queue").
-- Published on the prefix's channel `<prefix>events` from inside the script that made the change,
-- so that the change and its event are one command. Classic PUBLISH reaches every subscriber of
-- every node of a Cluster. The client decodes them in src/event-subscriber.ts:
--   'j' .. queue                                 jobs may have become available in the queue
--   'c' .. queue .. '\n' .. attempt .. '\n' .. id  attempt `attempt` of the running job id of the
--                                                queue was cancelled
local CHANNEL = PREFIX .. 'events'

local function publishJobs()
  redis.call('PUBLISH', CHANNEL, 'j' .. QUEUE)
end

local function publishCancelled(id, attempt)
  redis.call('PUBLISH', CHANNEL, 'c' .. QUEUE .. '\n' .. attempt .. '\n' .. id)
end
