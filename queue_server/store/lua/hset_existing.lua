-- Set one field of a hash only if the hash exists (a user's full name, a device's "last
-- seen"): checked and set in one step, so a user or device removed meanwhile is not brought
-- back as a hash holding that one field.
-- KEYS: 1 the hash
-- ARGV: 1 field, 2 value
-- Answers 1 when set, 0 when there is no such hash.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
