-- Requeueing (inlined where a script says "-- @include requeue", after "-- @include queue"): a
-- dead or cancelled job goes back to pending at now with a fresh budget (retryCount and
-- lostLeases 0), retaking its uniqueKey.

-- The fields `requeue` needs, read with HMGET in this order.
local REQUEUE_FIELDS = { 'status', 'priority', 'uniqueKey', 'name', 'group', 'createdAt' }

-- Requeues job `id` (hash `key`, REQUEUE_FIELDS in `state`, status dead or cancelled). Returns
-- nil when it moved, or the uniqueKey and the id of the other active job that holds it (then
-- nothing changed).
local function requeue(id, key, state, now)
  local status, uniqueKey = state[1], state[3]
  if uniqueKey then
    local holder = redis.call('HGET', UNIQUE, uniqueKey)
    if holder and holder ~= id then return { uniqueKey, holder } end
    redis.call('HSET', UNIQUE, uniqueKey, id)
  end
  redis.call('ZREM', status == 'dead' and DEAD or CANCELLED, id)
  redis.call('PERSIST', key)
  redis.call('HDEL', key, 'completedAt')
  redis.call('HSET', key, 'status', 'pending', 'scheduledAt', now, 'retryCount', 0, 'lostLeases', 0)
  enterWaiting(id, state[4], state[2], now, state[5])
  relist(id, state[6], status, 'pending')
  count(status, -1)
  count('pending', 1)
  return nil
end
