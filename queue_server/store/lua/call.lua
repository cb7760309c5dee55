-- Call a waiting ticket to a counter. Closes the race between counters calling at the same
-- instant: the ticket leaves its queue and is bound to the counter in one step, and only
-- if it is still waiting in the queue the caller saw it in (else 'moved', and the caller
-- chooses again).
-- KEYS: 1 idem, 2 ticket, 3 counter, 4 events, 5 recent calls, 6 the ticket's queue
-- ARGV: 1 use idem, 2 now ms, 3 counter number, 4 new streak, 5 lane, 6 class
local prev = replay()
if prev then return prev end
local t = hgetall(KEYS[2])
if not t then return fail('not_found', 'no such ticket') end
if t.status ~= 'waiting' then
  return fail('moved', 'ticket ' .. t.number .. ' is ' .. t.status, {status = t.status})
end
if t.lane ~= ARGV[5] or t.class ~= ARGV[6] then
  return fail('moved', 'ticket ' .. t.number .. ' moved to another queue')
end
local c = hgetall(KEYS[3])
if not c or c.status ~= 'open' then
  return fail('counter_not_open', 'counter ' .. ARGV[3] .. ' is not open')
end
if c.current ~= '' and active(c.current_status) then
  return fail('counter_busy', 'counter ' .. ARGV[3] .. ' is still serving ' .. c.current_number,
    {current = c.current})
end
if redis.call('ZREM', KEYS[6], t.id) == 0 then
  return fail('moved', 'ticket ' .. t.number .. ' is no longer in its queue')
end
local now = ARGV[2]
redis.call('HSET', KEYS[2], 'status', 'called', 'counter', ARGV[3], 'called_at', now)
redis.call('HSET', KEYS[3], 'current', t.id, 'current_number', t.number,
  'current_status', 'called', 'streak', ARGV[4], 'updated_at', now)
local ticket = hgetall(KEYS[2])
local eid = emit(KEYS[4], 'ticket.called', ticket)
redis.call('LPUSH', KEYS[5], cjson.encode({id = t.id, number = t.number, field = t.field,
  counter = ARGV[3], at = now, event = eid}))
redis.call('LTRIM', KEYS[5], 0, 19)
return answer({ok = true, ticket = ticket, event = eid})
