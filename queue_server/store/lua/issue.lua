-- Issue a ticket. Closes the race between concurrent kiosks: the number comes from one
-- INCR inside the script, so no two tickets of a field and day share a number, and a
-- number past the range is refused without being consumed.
-- KEYS: 1 idem, 2 sequence, 3 ticket, 4 target queue, 5 events, 6 day tickets, 7 office day,
--       8 office order counter, 9-11 the field's queues (appointment, priority, normal),
--       12 service times, 13 open counters of the field, 14 the office's walk-in gate
-- ARGV: 1 use idem, 2 now ms, 3 day, 4 first, 5 last, 6 prefix, 7 width, 8 id, 9 field,
--       10 priority, 11 class, 12 due ms or '', 13 office, 14 lane, 15 '1' for a walk-in
--       ticket (refused once the gate closed before closing time), else '0'
local prev = replay()
if prev then return prev end
if ARGV[15] == '1' and redis.call('GET', KEYS[14]) == 'closed' then
  return fail('walk_in_closed', 'the office has stopped issuing tickets for today;'
    .. ' tickets already issued are still served')
end
local first, last = tonumber(ARGV[4]), tonumber(ARGV[5])
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], 172800) end
if first + n - 1 > last then
  redis.call('DECR', KEYS[2])
  return fail('numbers_exhausted', 'all numbers of this field are used for today',
    {last = string.format('%s%0' .. ARGV[7] .. 'd', ARGV[6], last)})
end
local number = string.format('%s%0' .. ARGV[7] .. 'd', ARGV[6], first + n - 1)
local now = ARGV[2]
local order = redis.call('INCR', KEYS[8])
local score = order
if ARGV[11] == 'appointment' and ARGV[12] ~= '' then score = tonumber(ARGV[12]) end
redis.call('HSET', KEYS[3], 'id', ARGV[8], 'office', ARGV[13], 'number', number,
  'field', ARGV[9], 'lane', ARGV[14], 'priority', ARGV[10], 'class', ARGV[11],
  'status', 'waiting', 'issued_at', now, 'order', order, 'due_at', ARGV[12],
  'day', ARGV[3], 'recalls', '0', 'counter', '')
redis.call('EXPIRE', KEYS[3], 90 * 86400)
redis.call('ZADD', KEYS[4], score, ARGV[8])
redis.call('ZADD', KEYS[6], order, ARGV[8])
redis.call('EXPIRE', KEYS[6], 40 * 86400)
local ticket = hgetall(KEYS[3])
local eid = emit(KEYS[5], 'ticket.issued', ticket)
local rank = redis.call('ZRANK', KEYS[4], ARGV[8])
return answer({
  ok = true, ticket = ticket, event = eid,
  newday = redis.call('GET', KEYS[7]) ~= ARGV[3],
  waiting = {redis.call('ZCOUNT', KEYS[9], '-inf', now), redis.call('ZCARD', KEYS[10]),
             redis.call('ZCARD', KEYS[11])},
  rank = rank,
  samples = redis.call('LRANGE', KEYS[12], 0, -1),
  open = redis.call('SCARD', KEYS[13]),
})
