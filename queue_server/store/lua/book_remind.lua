-- Put one reminder in the outbox, once per booking and slot, however many times or on
-- however many server processes the reminder job runs.
-- KEYS: 1 idem, 2 booking, 3 outbox
-- ARGV: 1 use idem, 2 now ms, 3 message text
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b or b.status ~= 'booked' or (b.reminded or '') ~= '' then
  return answer({ok = true, sent = false})
end
redis.call('HSET', KEYS[2], 'reminded', ARGV[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 100000, '*', 'code', b.code, 'phone', b.phone,
  'email', b.email or '', 'text', ARGV[3])
return answer({ok = true, sent = true})
