-- Store events (inlined where a script says "-- @include events", after "-- @include queue").
-- Published on the prefix's channel `<prefix>events` from inside the script that made the change,
-- so that the change and its event are one command. Classic PUBLISH reaches every subscriber of
-- every node of a Cluster. The client decodes them in src/event-subscriber.ts:
--   'j' .. queue [.. '\n' .. token]               jobs may have become available in the queue; the
--                                                token names the store call that made the change,
--                                                so that its store tells the echo of its own call
--                                                (see src/own-events.ts)
--   'c' .. queue .. '\n' .. attempt .. '\n' .. id  attempt `attempt` of the running job id of the
--                                                queue was cancelled
local CHANNEL = PREFIX .. 'events'

-- `token` ('' or nil for none): the store call's token, see above.
local function publishJobs(token)
  if token and token ~= '' then
    redis.call('PUBLISH', CHANNEL, 'j' .. QUEUE .. '\n' .. token)
  else
    redis.call('PUBLISH', CHANNEL, 'j' .. QUEUE)
  end
end

local function publishCancelled(id, attempt)
  redis.call('PUBLISH', CHANNEL, 'c' .. QUEUE .. '\n' .. attempt .. '\n' .. id)
end
