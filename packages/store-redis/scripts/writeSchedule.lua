-- writeSchedule: the part of saveSchedule that runs in one slot of a Redis Cluster, where the
-- schedule's hash and the prefix's registry live in different slots (see saveSchedule.lua): writes
-- the schedule hash under a condition, or, to move a schedule to another queue's slot, takes the
-- record of the old slot (deletes it) under the condition.
-- KEYS[1] the schedule's hash. ARGV[1] 'write' | 'take', ARGV[2] condition, ARGV[3] expected
-- definedAt, ARGV[4] expected definedBy (see includes/schedule.lua), then (write) the field, value
-- pairs of the record. Returns 1 when written or taken, 0 when the condition failed and a record
-- is there, -1 when the condition failed (write) or nothing was taken (take) and no record is
-- there: the client learns where the record is without another command.
-- @include schedule
local key = KEYS[1]
local exists = redis.call('EXISTS', key) == 1
if ARGV[1] == 'take' and not exists then return -1 end
if not scheduleWritable(key, ARGV[2], ARGV[3], ARGV[4]) then return exists and 0 or -1 end
if ARGV[1] == 'take' then
  redis.call('DEL', key)
else
  writeSchedule(key, 5)
end
return 1
