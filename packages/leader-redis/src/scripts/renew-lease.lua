-- Extends the lease KEYS[1] to ARGV[2] milliseconds from now (by the Redis server's clock), only if
-- it still holds this leadership's token ARGV[1]. Returns 1 if renewed, 0 if the lease has expired,
-- was deleted or is held by another leadership: the caller must step down. The term is kept.
--
-- Checking the token and extending in one script means an old holder can never extend a lease
-- that a newer holder took in between.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
