-- completeJobs: marks running jobs completed (or deletes them), fenced by their attempt and lease
-- holder. ARGV[1] now, ARGV[2] remove ('1' | '0'), ARGV[3] ttl seconds (finishedJobTtl, 0 for
-- none), then id, attempt, lockedBy triples. Returns 1 or 0 per triple: whether it was applied.
-- @include queue
local now, remove, ttl = ARGV[1], ARGV[2] == '1', ARGV[3]
-- The zset changes of all the jobs are applied at the end, one ZREM or ZADD per zset (applyMoves).
local applied, moves, done = {}, newMoves(), 0
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local key = jobKey(id)
  local state = redis.call('HMGET', key, 'status', 'attempt', 'lockedBy', 'uniqueKey', 'group', 'createdAt')
  if holds(state, ARGV[i + 1], ARGV[i + 2]) then
    moveOut(moves, RUNNING, id)
    leaveGroupRunning(state[5])
    releaseUnique(state[4], id)
    if remove then
      -- A running job has no listing index (see listedKey in includes/queue.lua).
      redis.call('DEL', key)
      moveOut(moves, CREATED, id)
    else
      -- finish() for many jobs: the hash now (a repeated id then no longer holds), the rest below.
      -- No expiry: the safety net for completed jobs is deleteFinished below (see finishHash).
      finishHash(key, 'completed', now, 0)
      moveIn(moves, COMPLETED, now, id)
      -- A hash without createdAt (written behind the store's back) must not fail the batch's
      -- ZADD after every hash changed: it is listed as created now.
      moveIn(moves, listedKey('completed'), state[6] or now, id)
    end
    done = done + 1
    applied[#applied + 1] = 1
  else
    applied[#applied + 1] = 0
  end
end
applyMoves(moves)
if done > 0 then
  count('running', -done)
  if not remove then count('completed', done) end
end
-- The safety net should cleanup never run (see finishHash): completed jobs of the queue older than
-- the TTL, as many as this call completed and a few more, so that it keeps up with any rate.
if tonumber(ttl) > 0 then
  deleteFinished(COMPLETED, 'completed', tonumber(now) - tonumber(ttl) * 1000, done + 10)
end
return applied
