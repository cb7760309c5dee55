-- Move a booked visit to another slot of its field; the new slot's capacity is checked
-- and taken in the same step, so a move cannot overbook it either.
-- KEYS: 1 idem, 2 booking, 3 old slot set, 4 new slot set, 5 old day, 6 new day, 7 events
-- ARGV: 1 use idem, 2 now ms, 3 capacity, 4 new start ms, 5 new end ms, 6 new day
local prev = replay()
if prev then return prev end
local b = hgetall(KEYS[2])
if not b then return fail('not_found', 'no such booking') end
if b.status ~= 'booked' or b.kind ~= 'visit' then
  return fail('invalid_state', 'only a booked visit can be moved',
    {status = b.status, kind = b.kind, action = 'reschedule'})
end
if b.start == ARGV[4] then return fail('same_slot', 'the booking is already in this slot') end
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[3]) then
  return fail('slot_full', 'this slot is fully booked')
end
redis.call('SREM', KEYS[3], b.code)
redis.call('ZREM', KEYS[5], b.code)
redis.call('SADD', KEYS[4], b.code)
ttl(KEYS[4], tonumber(ARGV[5]) + 86400000, ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[4], b.code)
ttl(KEYS[6], tonumber(ARGV[5]) + 40 * 86400000, ARGV[2])
redis.call('HSET', KEYS[2], 'start', ARGV[4], 'end', ARGV[5], 'day', ARGV[6], 'reminded', '')
ttl(KEYS[2], tonumber(ARGV[5]) + 90 * 86400000, ARGV[2])
add_history(KEYS[2], {at = tonumber(ARGV[2]), action = 'rescheduled',
  from = tonumber(b.start), to = tonumber(ARGV[4])})
b = hgetall(KEYS[2])
booking_event(KEYS[7], 'appointment.rescheduled', b)
return answer({ok = true, booking = b})
