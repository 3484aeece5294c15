-- epoch: the id of the data the prefix holds (Store.epoch): created when there is none, so every
-- instance gets the same one, and a new one once the data was lost (a restart without persistence,
-- a flush, a failover to an empty replica), since the key is lost with it.
-- KEYS[1] the epoch key. ARGV[1] the id to create when there is none. Returns the stored id.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
