-- A manager clears a stuck or held job. Refused while the job's bytes are on the wire (see
-- print_begin.lua), so a cleared job never prints afterwards.
-- KEYS: 1 idem, 2 job stream, 3 held jobs, 4 printer state, 5 office events
-- ARGV: 1 use idem, 2 job id, 3 group, 4 now ms, 5 office, 6 printer, 7 cleared by
local prev = replay()
if prev then return prev end
if redis.call('HGET', KEYS[4], 'sending') == ARGV[2] then
  return fail('printing', 'the job is being sent to the printer right now')
end
local where
if redis.call('HDEL', KEYS[3], ARGV[2]) == 1 then
  where = 'held'
elseif #redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2]) == 1 then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
  where = 'queue'
else
  return fail('not_found', 'no such print job')
end
emit_status(KEYS[5], KEYS[4], KEYS[2], KEYS[3], ARGV[6],
  {job_cleared = {id = ARGV[2], by = ARGV[7]}})
return answer({ok = true, job = ARGV[2], from = where})
