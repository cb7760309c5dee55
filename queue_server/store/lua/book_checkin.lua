-- Record the check-in of a booking with the ticket issued for it. A second check-in (a
-- double tap, a retried request, a second kiosk) answers the ticket of the first.
-- KEYS: 1 idem, 2 booking, 3 events, 4 day report
-- ARGV: 1 use idem, 2 now ms, 3 ticket id, 4 ticket number
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b then return fail('not_found', 'no such booking') end
if b.status == 'checked_in' then return answer({ok = true, booking = b, again = true}) end
if b.status ~= 'booked' then
  return fail('invalid_state', 'this booking cannot be checked in',
    {status = b.status, kind = b.kind, action = 'check_in'})
end
redis.call('HSET', KEYS[2], 'status', 'checked_in', 'checked_in_at', ARGV[2],
  'ticket', ARGV[3], 'ticket_number', ARGV[4])
redis.call('HINCRBY', KEYS[4], 'appointments_checked_in', 1)
redis.call('EXPIRE', KEYS[4], 400 * 86400)
b = hgetall(KEYS[2])
booking_event(KEYS[3], 'appointment.checked_in', b)
return answer({ok = true, booking = b, again = false})
