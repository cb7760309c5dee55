-- Record a result-pickup appointment for a received dossier. One per ticket and procedure:
-- the idempotency key is derived from them, so a double click prints one slip.
-- KEYS: 1 idem, 2 booking, 3 day bookings, 4 events
-- ARGV: 1 use idem, 2 code, 3 now ms, 4 pickup day start ms, 5 day, 6 office, 7 field,
--       8 procedure, 9 name, 10 phone, 11 ticket id, 12 received at ms, 13 staff,
--       14 pickup day end ms
local prev = replay()
if prev then return prev end
if redis.call('EXISTS', KEYS[2]) == 1 then return fail('code_taken', 'booking code in use') end
redis.call('HSET', KEYS[2], 'code', ARGV[2], 'kind', 'result', 'office', ARGV[6],
  'field', ARGV[7], 'procedure', ARGV[8], 'name', ARGV[9], 'phone', ARGV[10],
  'source_ticket', ARGV[11], 'received_at', ARGV[12], 'staff', ARGV[13],
  'start', ARGV[4], 'end', ARGV[14], 'day', ARGV[5], 'status', 'booked',
  'created_at', ARGV[3], 'history', '[]', 'reschedules', '0')
ttl(KEYS[2], tonumber(ARGV[14]) + 400 * 86400000, ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
ttl(KEYS[3], tonumber(ARGV[14]) + 40 * 86400000, ARGV[3])
local b = hgetall(KEYS[2])
booking_event(KEYS[4], 'appointment.booked', b)
return answer({ok = true, booking = b})
