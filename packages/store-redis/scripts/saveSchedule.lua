-- saveSchedule: creates or replaces a schedule, under a condition, together with its entry in the
-- prefix's registry, in one step (on a single node; on a Cluster the registry lives in another slot,
-- see writeSchedule.lua). A schedule whose job template moved to another queue moves to that
-- queue's slot: the record in the old slot is the one the condition is checked against, and it is
-- deleted.
-- KEYS[1] the registry (name -> queue), KEYS[2] the schedule's hash in its queue's slot.
-- ARGV[1] name, ARGV[2] queue, ARGV[3] condition, ARGV[4] expected definedAt, ARGV[5] expected
-- definedBy (see includes/schedule.lua), then the field, value pairs of the record.
-- Returns 1 when written, 0 when the condition failed.
-- @include schedule
local registry, key = KEYS[1], KEYS[2]
local name, queue = ARGV[1], ARGV[2]
local previous = redis.call('HGET', registry, name)
local current = key
if previous and previous ~= queue then
  -- The prefix is what comes before the registry's hash tag (a prefix holds no '{').
  current = string.match(registry, '^[^{]*') .. '{' .. previous .. '}:schedule:' .. name
  -- A registry entry whose record is gone (lost with a slot's data) names nothing to move.
  if redis.call('EXISTS', current) == 0 then current = key end
end
if not scheduleWritable(current, ARGV[3], ARGV[4], ARGV[5]) then
  -- Not written: the registry must still point at the record that exists.
  if current == key and redis.call('EXISTS', key) == 1 then redis.call('HSET', registry, name, queue) end
  return 0
end
if current ~= key then redis.call('DEL', current) end
writeSchedule(key, 6)
redis.call('HSET', registry, name, queue)
return 1
