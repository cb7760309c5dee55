-- Open, pause or close a counter. Closes the race between a close and a call: a counter
-- holding a called or serving ticket cannot be closed, and the open-counter sets used for
-- the wait estimate change in the same step as the state. Also the race between two clerks
-- closing the last two open counters of a field at once: which one is the last is decided
-- here, where the sets change.
-- KEYS: 1 idem, 2 counter, 3 events, 4..3+F open-counter sets of the F fields it serves,
--       then per field its 3 queues (appointment, priority, normal), then the 3 queues of
--       the counter's own lane (tickets transferred to it: no other counter calls them)
-- ARGV: 1 use idem, 2 now ms, 3 action (open|pause|close), 4 number, 5 staff,
--       6 '1' to pause or close even as the last open counter of a field with people
--       waiting, 7 F
local prev = replay()
if prev then return prev end
local action, now, number = ARGV[3], ARGV[2], ARGV[4]
local nfields = tonumber(ARGV[7])
local c = hgetall(KEYS[2]) or {current = '', current_status = '', status = 'closed'}
if action == 'close' and c.current ~= '' and active(c.current_status) then
  return fail('counter_busy', 'counter ' .. number .. ' is still serving ' .. c.current_number,
    {current = c.current})
end
if action ~= 'open' and ARGV[6] ~= '1' then
  local left = {}
  for i = 1, nfields do
    local set = KEYS[3 + i]
    if redis.call('SISMEMBER', set, number) == 1 and redis.call('SCARD', set) == 1 then
      local waiting = 0
      for k = 1, 3 do waiting = waiting + redis.call('ZCARD', KEYS[3 + nfields + (i - 1) * 3 + k]) end
      if waiting > 0 then left[#left + 1] = {index = i, waiting = waiting} end
    end
  end
  local own = 0
  if c.status == 'open' then
    for k = 1, 3 do own = own + redis.call('ZCARD', KEYS[3 + 4 * nfields + k]) end
  end
  if #left > 0 or own > 0 then
    return fail('last_counter', 'counter ' .. number .. ' is the last one open for people'
      .. ' waiting', {fields = left, own = own})
  end
end
local status = ({open = 'open', pause = 'paused', close = 'closed'})[action]
redis.call('HSET', KEYS[2], 'number', number, 'status', status, 'updated_at', now,
  'staff', ARGV[5], 'current', c.current or '', 'current_number', c.current_number or '',
  'current_status', c.current_status or '', 'streak', c.streak or '0')
for i = 4, 3 + nfields do
  if status == 'open' then redis.call('SADD', KEYS[i], number)
  else redis.call('SREM', KEYS[i], number) end
end
local counter = hgetall(KEYS[2])
local etype = ({open = 'counter.opened', pause = 'counter.paused', close = 'counter.closed'})[action]
local eid = emit(KEYS[3], etype, counter)
return answer({ok = true, counter = counter, event = eid})
