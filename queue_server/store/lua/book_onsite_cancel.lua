-- Cancel a visit at an address: the staff member's time is free again at once.
-- KEYS: 1 idem, 2 booking, 3 the staff member's visits of the day, 4 day bookings, 5 events
-- ARGV: 1 use idem, 2 now ms, 3 who
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b then return fail('not_found', 'no such booking') end
if b.kind ~= 'onsite' or b.status ~= 'booked' then
  return fail('invalid_state', 'only a booked visit at an address can be cancelled here',
    {status = b.status, kind = b.kind, action = 'cancel_onsite'})
end
redis.call('HSET', KEYS[2], 'status', 'cancelled', 'cancelled_at', ARGV[2])
add_history(KEYS[2], {at = tonumber(ARGV[2]), action = 'cancelled', by = ARGV[3]})
redis.call('ZREM', KEYS[3], b.code)
redis.call('ZREM', KEYS[4], b.code)
b = hgetall(KEYS[2])
booking_event(KEYS[5], 'appointment.cancelled', b)
return answer({ok = true, booking = b})
