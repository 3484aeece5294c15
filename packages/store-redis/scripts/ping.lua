-- ping: checks what the store needs of the server with the caller's rights: running a script,
-- reading and writing keys of the prefix, and publishing on its channel. Changes nothing (the key
-- it deletes never exists; subscribers ignore the 'p' message).
-- KEYS[1] a key of the prefix to read, KEYS[2] one to write. ARGV[1] the channel.
redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[1], 'p')
return 1
