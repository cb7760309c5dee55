-- Count one request in a fixed window; answers the count so far (over the limit = 429).
-- KEYS: 1 unused (idempotency convention), 2 counter; ARGV: 1 '0', 2 window seconds
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2])) end
return cjson.encode({ok = true, count = n})
