-- Book a staff member for a visit at an address (tiếp nhận hồ sơ tại chỗ). Closes the race
-- of two bookings of the same person at overlapping times: the overlap check and the add
-- are one step. The caller passes the visits its read of the staff member's day found (a
-- cluster needs every key in KEYS); if one was added since, the answer is 'stale' and it
-- reads again.
-- KEYS: 1 idem, 2 booking, 3 the staff member's visits of the day, 4 day bookings, 5 events,
--       6.. the bookings of the codes in ARGV 14.. (same order)
-- ARGV: 1 use idem, 2 code, 3 now ms, 4 start ms, 5 end ms, 6 day, 7 office, 8 field,
--       9 procedure, 10 name, 11 phone, 12 staff, 13 address, 14.. the codes the caller read
local prev = replay()
if prev then return prev end
if redis.call('EXISTS', KEYS[2]) == 1 then return fail('code_taken', 'booking code in use') end
local s, e = tonumber(ARGV[4]), tonumber(ARGV[5])
local seen = {}
for i = 14, #ARGV do seen[ARGV[i]] = KEYS[i - 8] end
for _, code in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if not seen[code] then return fail('stale', 'the staff member was booked meanwhile') end
  local o = redis.call('HMGET', seen[code], 'start', 'end', 'status')
  if o[3] == 'booked' and tonumber(o[1]) < e and s < tonumber(o[2]) then
    return fail('staff_busy', 'the staff member has another visit at that time',
      {code = code, start = tonumber(o[1]), ['end'] = tonumber(o[2])})
  end
end
redis.call('HSET', KEYS[2], 'code', ARGV[2], 'kind', 'onsite', 'office', ARGV[7],
  'field', ARGV[8], 'procedure', ARGV[9], 'name', ARGV[10], 'phone', ARGV[11],
  'staff', ARGV[12], 'address', ARGV[13], 'start', ARGV[4], 'end', ARGV[5], 'day', ARGV[6],
  'status', 'booked', 'created_at', ARGV[3], 'history', '[]')
ttl(KEYS[2], e + 400 * 86400000, ARGV[3])
redis.call('ZADD', KEYS[3], s, ARGV[2])
ttl(KEYS[3], e + 40 * 86400000, ARGV[3])
redis.call('ZADD', KEYS[4], s, ARGV[2])
ttl(KEYS[4], e + 40 * 86400000, ARGV[3])
local b = hgetall(KEYS[2])
booking_event(KEYS[5], 'appointment.booked', b)
return answer({ok = true, booking = b})
