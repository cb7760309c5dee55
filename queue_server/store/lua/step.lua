-- Move a called or serving ticket on: recall, start, finish or no-show. Closes the race
-- between two clicks (or two staff) on one ticket: the state is checked and changed in one
-- step, and the counter is freed only if it still holds this ticket.
-- KEYS: 1 idem, 2 ticket, 3 counter, 4 events, 5 recent calls, 6 service times
-- ARGV: 1 use idem, 2 now ms, 3 action, 4 counter number the caller expects
local prev = replay()
if prev then return prev end
local allowed = {
  recall = {called = true},
  start = {called = true},
  finish = {called = true, serving = true},
  no_show = {called = true},
}
local action, now = ARGV[3], ARGV[2]
local t = hgetall(KEYS[2])
if not t then return fail('not_found', 'no such ticket') end
if not allowed[action][t.status] then
  return fail('invalid_state', 'ticket ' .. t.number .. ' is ' .. t.status,
    {status = t.status, number = t.number, action = action})
end
if ARGV[4] ~= '' and t.counter ~= ARGV[4] then
  return fail('invalid_state', 'ticket ' .. t.number .. ' is at counter ' .. t.counter,
    {status = t.status, number = t.number, action = action, counter = t.counter})
end
local etype
if action == 'recall' then
  redis.call('HINCRBY', KEYS[2], 'recalls', 1)
  redis.call('HSET', KEYS[2], 'called_at', now)
  etype = 'ticket.recalled'
elseif action == 'start' then
  redis.call('HSET', KEYS[2], 'status', 'serving', 'started_at', now)
  if redis.call('HGET', KEYS[3], 'current') == t.id then
    redis.call('HSET', KEYS[3], 'current_status', 'serving', 'updated_at', now)
  end
  etype = 'ticket.started'
elseif action == 'finish' then
  local from = tonumber(t.started_at or t.called_at)
  redis.call('HSET', KEYS[2], 'status', 'done', 'finished_at', now)
  if not t.started_at then redis.call('HSET', KEYS[2], 'started_at', t.called_at) end
  redis.call('LPUSH', KEYS[6], tonumber(now) - from)
  redis.call('LTRIM', KEYS[6], 0, 19)
  release_counter(KEYS[3], t.id, now)
  etype = 'ticket.finished'
else
  redis.call('HSET', KEYS[2], 'status', 'no_show', 'finished_at', now)
  release_counter(KEYS[3], t.id, now)
  etype = 'ticket.no_show'
end
local ticket = hgetall(KEYS[2])
local eid = emit(KEYS[4], etype, ticket)
if action == 'recall' then
  redis.call('LPUSH', KEYS[5], cjson.encode({id = t.id, number = t.number, field = t.field,
    counter = t.counter, at = now, event = eid, recall = true}))
  redis.call('LTRIM', KEYS[5], 0, 19)
end
return answer({ok = true, ticket = ticket, event = eid})
