-- Deletes the lease KEYS[1] only if it holds the token ARGV[1], so another instance can take over
-- at once. Returns 1 if deleted, 0 otherwise: a newer holder's lease is never touched. The term
-- counter is kept, so the next leadership still gets a higher term.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
