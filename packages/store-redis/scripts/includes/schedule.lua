-- Schedules (inlined where a script says "-- @include schedule"). A schedule is a hash in the slot
-- of its job template's queue, `<prefix>{<queue>}:schedule:<name>` (see src/schedules.ts).

-- Whether the schedule hash `key` may be written under `condition`: '' always; 'absent' only when
-- it does not exist; 'expect' only when it exists and its definition stamp is `definedAt` (epoch
-- ms) and `definedBy` ('' for null, else '=' .. the instance id): the compare-and-set of
-- Store.saveSchedule. A schedule stored before stamps existed counts as defined at its createdAt,
-- by no one.
-- The condition 'expect:<nextRunAt>' ('' after the colon for none) also asks that the stored
-- nextRunAt be that (see Store.saveSchedule's expectNextRunAt).
local function scheduleWritable(key, condition, definedAt, definedBy)
  if condition == '' then return true end
  local stored = redis.call('HMGET', key, 'name', 'definedAt', 'createdAt', 'definedBy', 'nextRunAt')
  if condition == 'absent' then return not stored[1] end
  if not stored[1] then return false end
  local storedBy = stored[4] and ('=' .. stored[4]) or ''
  if (stored[2] or stored[3]) ~= definedAt or storedBy ~= definedBy then return false end
  local next = string.match(condition, '^expect:(.*)$')
  return next == nil or (stored[5] or '') == next
end

-- Replaces the schedule hash `key` by the field, value pairs ARGV[first..].
local function writeSchedule(key, first)
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(ARGV, first))
end
