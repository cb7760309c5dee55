-- Open, pause or close a counter. Closes the race between a close and a call: a counter
-- holding a called or serving ticket cannot be closed, and the open-counter sets used for
-- the wait estimate change in the same step as the state.
-- KEYS: 1 idem, 2 counter, 3 events, 4.. open-counter sets of the fields it serves
-- ARGV: 1 use idem, 2 now ms, 3 action (open|pause|close), 4 number, 5 staff
local prev = replay()
if prev then return prev end
local action, now, number = ARGV[3], ARGV[2], ARGV[4]
local c = hgetall(KEYS[2]) or {current = '', current_status = '', status = 'closed'}
if action == 'close' and c.current ~= '' and active(c.current_status) then
  return fail('counter_busy', 'counter ' .. number .. ' is still serving ' .. c.current_number,
    {current = c.current})
end
local status = ({open = 'open', pause = 'paused', close = 'closed'})[action]
redis.call('HSET', KEYS[2], 'number', number, 'status', status, 'updated_at', now,
  'staff', ARGV[5], 'current', c.current or '', 'current_number', c.current_number or '',
  'current_status', c.current_status or '', 'streak', c.streak or '0')
for i = 4, #KEYS do
  if status == 'open' then redis.call('SADD', KEYS[i], number)
  else redis.call('SREM', KEYS[i], number) end
end
local counter = hgetall(KEYS[2])
local etype = ({open = 'counter.opened', pause = 'counter.paused', close = 'counter.closed'})[action]
local eid = emit(KEYS[3], etype, counter)
return answer({ok = true, counter = counter, event = eid})
