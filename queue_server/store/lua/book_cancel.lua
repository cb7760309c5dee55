-- Cancel a booked visit: frees its place in the slot at once for others.
-- KEYS: 1 idem, 2 booking, 3 slot set, 4 phone set, 5 day bookings, 6 events
-- ARGV: 1 use idem, 2 now ms, 3 who ("citizen" or a staff name)
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b then return fail('not_found', 'no such booking') end
if b.status ~= 'booked' or b.kind ~= 'visit' then
  return fail('invalid_state', 'only a booked visit can be cancelled',
    {status = b.status, kind = b.kind, action = 'cancel'})
end
redis.call('HSET', KEYS[2], 'status', 'cancelled', 'cancelled_at', ARGV[2])
add_history(KEYS[2], {at = tonumber(ARGV[2]), action = 'cancelled', by = ARGV[3]})
redis.call('SREM', KEYS[3], b.code)
redis.call('SREM', KEYS[4], b.code)
redis.call('ZREM', KEYS[5], b.code)
b = hgetall(KEYS[2])
booking_event(KEYS[6], 'appointment.cancelled', b)
return answer({ok = true, booking = b})
