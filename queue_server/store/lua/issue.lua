-- Issue a ticket. Closes the race between concurrent kiosks: the number comes from one
-- INCR inside the script, so no two tickets of a field and day share a number, and a
-- number past the range is refused without being consumed.
-- What changes from ticket to ticket comes first; the rest is the same for every ticket of
-- a field, class and day, and the caller sends it encoded once (store/scripts.py, Template).
-- KEYS: 1 idem, 2 ticket, 3 sequence, 4 target queue, 5 events, 6 day tickets, 7 office day,
--       8 office order counter, 9-11 the field's queues (appointment, priority, normal),
--       12 service times, 13 open counters of the field, 14 the office's walk-in gate
-- ARGV: 1 use idem, 2 now ms, 3 id, 4 due ms or '', 5 '1' for a walk-in ticket (refused
--       once the gate closed before closing time), else '0', 6 day, 7 first, 8 last,
--       9 prefix, 10 width, 11 field, 12 priority, 13 class, 14 office, 15 lane
local prev = replay()
if prev then return prev end
if ARGV[5] == '1' and redis.call('GET', KEYS[14]) == 'closed' then
  return fail('walk_in_closed', 'the office has stopped issuing tickets for today;'
    .. ' tickets already issued are still served')
end
local first, last = tonumber(ARGV[7]), tonumber(ARGV[8])
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], '172800') end
if first + n - 1 > last then
  redis.call('DECR', KEYS[3])
  return fail('numbers_exhausted', 'all numbers of this field are used for today',
    {last = string.format('%s%0' .. ARGV[10] .. 'd', ARGV[9], last)})
end
local number = string.format('%s%0' .. ARGV[10] .. 'd', ARGV[9], first + n - 1)
local now = ARGV[2]
local order = redis.call('INCR', KEYS[8])
local ord = tostring(order)  -- once: each number Redis is handed is formatted with %.14g
local score = ord
if ARGV[13] == 'appointment' and ARGV[4] ~= '' then score = ARGV[4] end
-- The hash as HGETALL would read it back: every value a string. Fields without a value
-- (priority of a normal ticket, due time of a walk-in, counter, recalls) are left out
-- rather than stored empty: every reader takes a missing field for an empty one, and
-- each field costs Redis a hash insert and an append-only-file entry per ticket.
local ticket = {id = ARGV[3], office = ARGV[14], number = number, field = ARGV[11],
  lane = ARGV[15], class = ARGV[13], status = 'waiting', issued_at = now, order = ord,
  day = ARGV[6]}
if ARGV[12] ~= '' then ticket.priority = ARGV[12] end
if ARGV[4] ~= '' then ticket.due_at = ARGV[4] end
local flat = {}
for k, v in pairs(ticket) do flat[#flat + 1] = k; flat[#flat + 1] = v end
redis.call('HSET', KEYS[2], unpack(flat))
redis.call('EXPIRE', KEYS[2], '7776000')  -- 90 days
redis.call('ZADD', KEYS[4], score, ARGV[3])
redis.call('ZADD', KEYS[6], ord, ARGV[3])
-- With the first ticket of each field's day rather than with every ticket (each EXPIRE is
-- one more write to the AOF); the office day's first ticket is one of those.
if n == 1 then redis.call('EXPIRE', KEYS[6], '3456000') end  -- 40 days
local tjson = cjson.encode(ticket)
local eid = redis.call('XADD', KEYS[5], 'MAXLEN', '~', '1000000', '*',
  'type', 'ticket.issued', 'data', tjson)
-- The answer: what the caller does not know yet, as words rather than JSON (Lua's %d is a
-- fraction of the cost of cjson's number formatting, and an array answer made Redis 6.2
-- write each reply of a pipelined batch with a system call of its own):
-- "number order event-id newday waiting-appointments-due waiting-priority waiting-normal
--  rank open-counters [service-time ...]", newday 1 for the first ticket of an office day.
local appts, prio, normal = redis.call('ZCOUNT', KEYS[9], '-inf', now),
  redis.call('ZCARD', KEYS[10]), redis.call('ZCARD', KEYS[11])
-- Its rank: a walk-in ticket's score, the office's order, is the highest of its queue
-- (KEYS[4], the lane's queue of its class: KEYS[10] or KEYS[11]), so it is the last one.
local rank
if ARGV[13] == 'priority' then rank = prio - 1
elseif ARGV[13] == 'normal' then rank = normal - 1
else rank = redis.call('ZRANK', KEYS[4], ARGV[3]) end
local newday = redis.call('GET', KEYS[7]) ~= ARGV[6] and 1 or 0
local open = redis.call('SCARD', KEYS[13])
local samples = redis.call('LRANGE', KEYS[12], '0', '-1')
-- Under an idempotency key the whole answer is kept, in JSON (the prelude's convention
-- for answers kept), with the ticket, for a retried request to get the same ticket.
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], cjson.encode({ok = true, ticket = ticket, number = number,
    order = order, event = eid, newday = newday == 1, waiting = {appts, prio, normal},
    rank = rank, open = open, samples = samples}), 'EX', 86400)
end
local answer = string.format('%s %d %s %d %d %d %d %d %d', number, order, eid, newday, appts,
  prio, normal, rank, open)
if #samples > 0 then answer = answer .. ' ' .. table.concat(samples, ' ') end
return answer
