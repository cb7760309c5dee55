-- Release a visit not checked in by its deadline. Checked against the stored state, so a
-- check-in that lands just before the job wins and is never marked a no-show.
-- KEYS: 1 idem, 2 booking, 3 slot set, 4 phone set, 5 events, 6 day report
-- ARGV: 1 use idem, 2 now ms, 3 latest start ms that is overdue
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b or b.status ~= 'booked' or b.kind ~= 'visit' or tonumber(b.start) > tonumber(ARGV[3]) then
  return answer({ok = true, released = false})
end
redis.call('HSET', KEYS[2], 'status', 'no_show', 'no_show_at', ARGV[2])
redis.call('SREM', KEYS[4], b.code)
redis.call('HINCRBY', KEYS[6], 'appointments_no_show', 1)
redis.call('EXPIRE', KEYS[6], 400 * 86400)
b = hgetall(KEYS[2])
booking_event(KEYS[5], 'appointment.no_show', b)
return answer({ok = true, released = true})
