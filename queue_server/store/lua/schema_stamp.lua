-- Move the data's schema version from what a process read to the next one, only if it is
-- still what that process read: two processes starting at once on old data both migrate
-- (migrations are idempotent), and only one moves the version; the other reads it again.
-- KEYS: 1 the version key
-- ARGV: 1 the version read ("" for none), 2 the new version
-- Answers 1 when set, 0 when another process moved it first.
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
