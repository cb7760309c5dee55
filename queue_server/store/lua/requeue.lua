-- Cancel a waiting ticket, or transfer a waiting or called ticket to another lane (a field
-- or one counter), keeping its place by issue order. Closes the race with a counter calling
-- the same ticket: the ticket must still be in the queue (or at the counter) the caller saw.
-- KEYS: 1 idem, 2 ticket, 3 events, 4 current queue, 5 holding counter, 6 target queue
-- ARGV: 1 use idem, 2 now ms, 3 action (cancel|transfer), 4 target lane, 5 target field,
--       6 score in target queue, 7 expected status
local prev = replay()
if prev then return prev end
local action, now = ARGV[3], ARGV[2]
local t = hgetall(KEYS[2])
if not t then return fail('not_found', 'no such ticket') end
local ok = t.status == 'waiting' or (action == 'transfer' and t.status == 'called')
if not ok or t.status ~= ARGV[7] then
  return fail('invalid_state', 'ticket ' .. t.number .. ' is ' .. t.status,
    {status = t.status, number = t.number, action = action})
end
if t.status == 'waiting' then
  if redis.call('ZREM', KEYS[4], t.id) == 0 then
    return fail('invalid_state', 'ticket ' .. t.number .. ' moved meanwhile',
      {status = t.status, number = t.number, action = action, moved = true})
  end
else
  release_counter(KEYS[5], t.id, now)
end
local etype, data
if action == 'cancel' then
  redis.call('HSET', KEYS[2], 'status', 'cancelled', 'finished_at', now)
  etype = 'ticket.cancelled'
else
  redis.call('HSET', KEYS[2], 'status', 'waiting', 'lane', ARGV[4], 'field', ARGV[5],
    'counter', '', 'transferred_at', now, 'transferred_from', t.lane)
  redis.call('ZADD', KEYS[6], tonumber(ARGV[6]), t.id)
  etype = 'ticket.transferred'
end
local ticket = hgetall(KEYS[2])
local eid = emit(KEYS[3], etype, ticket)
return answer({ok = true, ticket = ticket, event = eid})
