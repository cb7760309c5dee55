-- Book a visit slot. Closes two races: concurrent bookings of the last places of a slot
-- (the count and the add happen in this one script, so a slot of capacity 3 takes exactly
-- 3), and one phone booking several slots at once past its limit of active bookings.
-- The caller passes the bookings its read of the phone's set found (a cluster needs every
-- key in KEYS); if the phone booked again since, the answer is 'stale' and it reads again.
-- KEYS: 1 idem, 2 booking, 3 slot set, 4 phone set, 5 day bookings, 6 events,
--       7.. the bookings of the codes in ARGV 16.. (same order)
-- ARGV: 1 use idem, 2 code, 3 capacity, 4 max active per phone, 5 now ms, 6 start ms,
--       7 end ms, 8 day, 9 office, 10 field, 11 procedure, 12 name, 13 phone, 14 cccd,
--       15 email, 16.. the codes the caller read in the phone's set
local prev = replay()
if prev then return prev end
if redis.call('EXISTS', KEYS[2]) == 1 then return fail('code_taken', 'booking code in use') end
local now = tonumber(ARGV[5])
local held = {}
for i = 16, #ARGV do held[ARGV[i]] = KEYS[i - 9] end
-- A phone's set may hold codes that were since cancelled, checked in or have passed.
for _, code in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if not held[code] then return fail('stale', 'the phone booked meanwhile') end
  local st = redis.call('HMGET', held[code], 'status', 'end')
  if st[1] ~= 'booked' or tonumber(st[2] or '0') < now then redis.call('SREM', KEYS[4], code) end
end
local held = redis.call('SCARD', KEYS[4])
if held >= tonumber(ARGV[4]) then
  return fail('phone_limit', 'this phone already holds the most active bookings allowed',
    {limit = tonumber(ARGV[4])})
end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then
  return fail('slot_full', 'this slot is fully booked')
end
redis.call('HSET', KEYS[2], 'code', ARGV[2], 'kind', 'visit', 'office', ARGV[9],
  'field', ARGV[10], 'procedure', ARGV[11], 'name', ARGV[12], 'phone', ARGV[13],
  'cccd', ARGV[14], 'email', ARGV[15], 'start', ARGV[6], 'end', ARGV[7], 'day', ARGV[8],
  'status', 'booked', 'created_at', ARGV[5], 'history', '[]')
ttl(KEYS[2], tonumber(ARGV[7]) + 90 * 86400000, ARGV[5])
redis.call('SADD', KEYS[3], ARGV[2])
ttl(KEYS[3], tonumber(ARGV[7]) + 86400000, ARGV[5])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[2])
ttl(KEYS[5], tonumber(ARGV[7]) + 40 * 86400000, ARGV[5])
local b = hgetall(KEYS[2])
booking_event(KEYS[6], 'appointment.booked', b)
return answer({ok = true, booking = b})
