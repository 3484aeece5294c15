-- Dead-letter jobs (inlined where a script says "-- @include dead-letter", after "-- @include
-- queue"): inserted in the same script as the death they stand for (docs/architecture.md §2), exactly as
-- deadLetterJob() in @sched/core builds them.

-- The dead-letter options at ARGV[first..first+3]: name ('' for none), priority, maxRetries,
-- timeout. Returns nil when there are none.
local function deadLetterArgs(first)
  if ARGV[first] == '' then return nil end
  return { name = ARGV[first], priority = ARGV[first + 1], maxRetries = ARGV[first + 2],
    timeout = ARGV[first + 3] }
end

-- Inserts the dead-letter job of job `id` (named `name`), dead at `attempt`: id
-- `<id>:dead:<attempt>`, pending at now, no payload, metadata { "sched.deadLetter": id }. None
-- for a dead-letter job's own death, nor when that id exists. Returns whether one was inserted.
local function insertDeadLetter(letter, id, name, attempt, now)
  if not letter or name == letter.name then return false end
  local letterId = id .. ':dead:' .. attempt
  if redis.call('EXISTS', jobKey(letterId)) == 1 then return false end
  insertJob(letterId, letter.name, 'null', letter.priority, letter.maxRetries, letter.timeout, now, now,
    'pending', cjson.encode({ ['sched.deadLetter'] = id }), nil, nil)
  count('pending', 1)
  return true
end
