-- Record the citizen's rating of a finished ticket. Closes the race between the counter
-- tablet and the phone (or a double tap) rating one ticket: the check and the mark are one
-- step, so exactly one rating per ticket reaches the stream.
-- The event carries no ticket id or number: ratings are anonymous on the office stream.
-- KEYS: 1 idem, 2 ticket, 3 events, 4 the counter that served it
-- ARGV: 1 use idem, 2 now ms, 3 level, 4 reason
local prev = replay()
if prev then return prev end
local t = hgetall(KEYS[2])
if not t then return fail('not_found', 'no such ticket') end
if t.status ~= 'done' then
  return fail('not_finished', 'ticket ' .. t.number .. ' is ' .. t.status, {status = t.status})
end
if t.rated and t.rated ~= '' then
  return fail('already_rated', 'ticket ' .. t.number .. ' was already rated')
end
local now = ARGV[2]
redis.call('HSET', KEYS[2], 'rated', ARGV[3], 'rated_at', now)
local staff = redis.call('HGET', KEYS[4], 'staff') or ''
local eid = emit(KEYS[3], 'ticket.rated', {level = tonumber(ARGV[3]), reason = ARGV[4],
  counter = tonumber(t.counter), field = t.field, priority = t.priority, staff = staff,
  day = t.day, at = tonumber(now)})
return answer({ok = true, event = eid, level = tonumber(ARGV[3])})
