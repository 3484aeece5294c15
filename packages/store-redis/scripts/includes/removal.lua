-- Removal (inlined where a script says "-- @include removal", after "-- @include queue"): a job
-- deleted with everything that refers to it.

-- The fields `removeJob` needs, read with HMGET in this order.
local REMOVE_FIELDS = { 'status', 'priority', 'uniqueKey', 'name', 'group', 'createdAt' }

-- Deletes job `id` (hash `key`, REMOVE_FIELDS in `state`, whatever its status): out of its
-- waiting, running or finished index, its listing index and its counts, its uniqueKey released.
local function removeJob(id, key, state)
  local status = state[1]
  if status == 'running' then
    leaveRunning(id, state[5])
  elseif status == 'completed' then
    redis.call('ZREM', COMPLETED, id)
  elseif status == 'dead' then
    redis.call('ZREM', DEAD, id)
  elseif status == 'cancelled' then
    redis.call('ZREM', CANCELLED, id)
  else
    leaveWaiting(id, state[4], state[2], state[5])
  end
  releaseUnique(state[3], id)
  redis.call('ZREM', CREATED, id)
  relist(id, nil, status, nil)
  redis.call('DEL', key)
  count(status, -1)
end
