-- Give the scheduler lock up, only if the caller still holds it: a process whose lock
-- expired while it was stopping must not delete the lock its successor took meanwhile.
-- KEYS: 1 the lock
-- ARGV: 1 owner
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
