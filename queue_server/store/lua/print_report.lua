-- Record what a driver learnt about a printer: a job printed (ARGV[9] = 'done': the job is
-- acknowledged and deleted, only now), or its state after a failed attempt or a status poll.
-- An event goes to the office stream when a job printed or the state or its problems
-- changed, so a printer polled while out of paper does not flood the boards.
-- `since` is when the state last changed; a printed job is recorded among the outcomes
-- (pruned to a day), so that a clerk cancelling it later is told it printed.
-- KEYS: 1 idem (unused), 2 printer state, 3 office events, 4 job stream, 5 held jobs,
--       6 outcomes
-- ARGV: 1 '0', 2 job id or '', 3 state, 4 problems JSON, 5 error text, 6 now ms, 7 office,
--       8 printer, 9 'done' | 'attempt' | 'status', 10 group, 11 driver
local job = ARGV[2]
if ARGV[9] == 'done' and job ~= '' then
  redis.call('XACK', KEYS[4], ARGV[10], job)
  redis.call('XDEL', KEYS[4], job)
  redis.call('HSET', KEYS[2], 'last_ok', ARGV[6])
  redis.call('ZADD', KEYS[6], ARGV[6], job .. '|printed')
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', tonumber(ARGV[6]) - 86400000)
end
if job ~= '' and redis.call('HGET', KEYS[2], 'sending') == job then
  redis.call('HDEL', KEYS[2], 'sending', 'sending_at')
end
local before = redis.call('HMGET', KEYS[2], 'state', 'problems')
redis.call('HSET', KEYS[2], 'state', ARGV[3], 'problems', ARGV[4], 'updated_at', ARGV[6],
  'driver', ARGV[11])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[2], 'last_error', ARGV[5], 'last_error_at', ARGV[6])
end
local changed = before[1] ~= ARGV[3] or before[2] ~= ARGV[4]
if before[1] ~= ARGV[3] then redis.call('HSET', KEYS[2], 'since', ARGV[6]) end
local eid = false
if changed or ARGV[9] == 'done' then
  local extra = nil
  if ARGV[9] == 'done' and job ~= '' then extra = {job_printed = {id = job}} end
  eid = emit_status(KEYS[3], KEYS[2], KEYS[4], KEYS[5], ARGV[8], extra)
end
return cjson.encode({ok = true, changed = changed, event = eid})
