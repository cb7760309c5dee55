-- Postpone a result that will be late: new date, reason and who in the history, and the
-- slip becomes an apology slip.
-- KEYS: 1 idem, 2 booking, 3 old day, 4 new day, 5 events
-- ARGV: 1 use idem, 2 now ms, 3 new start ms, 4 new end ms, 5 new day, 6 reason, 7 staff
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b then return fail('not_found', 'no such booking') end
if b.kind ~= 'result' or b.status ~= 'booked' then
  return fail('invalid_state', 'only a result not yet collected can be postponed',
    {status = b.status, kind = b.kind, action = 'postpone'})
end
if tonumber(ARGV[3]) <= tonumber(b.start) then
  return fail('not_later', 'the new date must be after the current one')
end
redis.call('ZREM', KEYS[3], b.code)
redis.call('ZADD', KEYS[4], ARGV[3], b.code)
ttl(KEYS[4], tonumber(ARGV[4]) + 40 * 86400000, ARGV[2])
redis.call('HSET', KEYS[2], 'start', ARGV[3], 'end', ARGV[4], 'day', ARGV[5],
  'reason', ARGV[6], 'reminded', '')
redis.call('HINCRBY', KEYS[2], 'reschedules', 1)
ttl(KEYS[2], tonumber(ARGV[4]) + 400 * 86400000, ARGV[2])
add_history(KEYS[2], {at = tonumber(ARGV[2]), action = 'postponed', from = b.day,
  to = ARGV[5], reason = ARGV[6], by = ARGV[7]})
b = hgetall(KEYS[2])
booking_event(KEYS[5], 'appointment.rescheduled', b)
return answer({ok = true, booking = b})
