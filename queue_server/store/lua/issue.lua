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
-- The hash as HGETALL would read it back: every value a string.
local ticket = {id = ARGV[8], office = ARGV[13], number = number, field = ARGV[9],
  lane = ARGV[14], priority = ARGV[10], class = ARGV[11], status = 'waiting',
  issued_at = now, order = tostring(order), due_at = ARGV[12], day = ARGV[3],
  recalls = '0', counter = ''}
local flat = {}
for k, v in pairs(ticket) do flat[#flat + 1] = k; flat[#flat + 1] = v end
redis.call('HSET', KEYS[3], unpack(flat))
redis.call('EXPIRE', KEYS[3], 90 * 86400)
redis.call('ZADD', KEYS[4], score, ARGV[8])
redis.call('ZADD', KEYS[6], order, ARGV[8])
-- Once a day rather than with every ticket (each EXPIRE is one more write to the AOF).
if redis.call('TTL', KEYS[6]) < 0 then redis.call('EXPIRE', KEYS[6], 40 * 86400) end
-- The ticket is encoded once, for the event and for the answer.
local tjson = cjson.encode(ticket)
local eid = redis.call('XADD', KEYS[5], 'MAXLEN', '~', 1000000, '*',
  'type', 'ticket.issued', 'data', tjson)
local rest = cjson.encode({
  ok = true, event = eid,
  newday = redis.call('GET', KEYS[7]) ~= ARGV[3],
  waiting = {redis.call('ZCOUNT', KEYS[9], '-inf', now), redis.call('ZCARD', KEYS[10]),
             redis.call('ZCARD', KEYS[11])},
  rank = redis.call('ZRANK', KEYS[4], ARGV[8]),
  samples = redis.call('LRANGE', KEYS[12], 0, -1),
  open = redis.call('SCARD', KEYS[13]),
})
local s = '{"ticket":' .. tjson .. ',' .. string.sub(rest, 2)
if ARGV[1] == '1' then redis.call('SET', KEYS[1], s, 'EX', 86400) end
return s
