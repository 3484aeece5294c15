-- Starts a new leadership: takes the lease KEYS[1] for the token ARGV[1], for ARGV[2] milliseconds
-- of the Redis server's clock, and gives it a new term from the counter KEYS[2]. Returns the term,
-- or 0 when another holder's lease is unexpired (nothing is written then).
--
--   KEYS[1]  the lease key; its value is the token of the leadership that holds it
--   KEYS[2]  the term counter; never expires and is never deleted (a release keeps it)
--   ARGV[1]  the new leadership's token: the instance id and a random part, unique per attempt
--   ARGV[2]  the TTL in milliseconds
--   ARGV[3]  the token of this instance's previous attempt, or "" if none
--   ARGV[4]  the highest term this instance has been granted, or 0
--
-- One script, so it is atomic: of two concurrent acquirers the second finds the first's lease.
-- Both keys carry the same hash tag, so on a Cluster they live in one slot and the script may
-- touch both.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  -- The lease is held. Only this instance's own previous token may be replaced before it expires:
  -- the instance stepped down (a renewal failed or answered too late) and takes its lease back
  -- without waiting out the TTL. No other process knows that random token.
  if ARGV[3] == '' or redis.call('GET', KEYS[1]) ~= ARGV[3] then
    return 0
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
local term = redis.call('INCR', KEYS[2])
-- If the counter was lost (a flush, a failover to a replica that missed it), INCR restarts at 1;
-- this instance at least never sees its own terms go down.
local floor = tonumber(ARGV[4])
if term <= floor then
  term = floor + 1
  redis.call('SET', KEYS[2], term)
end
return term
