-- Give a lock up, only if the caller still holds it (the scheduler's, a printer's): an owner
-- whose lock expired while it was stopping must not delete the lock its successor took
-- meanwhile.
-- KEYS: 1 the lock
-- ARGV: 1 owner
-- Answers 1 when the lock was given up, 0 when someone else held it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
