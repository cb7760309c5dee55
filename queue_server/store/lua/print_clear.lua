-- A manager clears a stuck or held job, or a clerk cancels a slip of their own still waiting.
-- Refused while the job's bytes are on the wire (see print_begin.lua), so a cleared job
-- never prints afterwards; a job that printed already is said to have printed.
-- KEYS: 1 idem, 2 job stream, 3 held jobs, 4 printer state, 5 office events, 6 outcomes
-- ARGV: 1 use idem, 2 job id, 3 group, 4 now ms, 5 office, 6 printer, 7 cleared by,
--       8 only a waiting job requested by this name ('' = any job)
local prev = replay()
if prev then return prev end
local where
local waiting = redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2])
-- Whose the job is comes first: another's job is refused as such, whatever it is doing.
if ARGV[8] ~= '' then
  if #waiting == 0 then
    if redis.call('ZSCORE', KEYS[6], ARGV[2] .. '|printed') then
      return fail('printed', 'the job has printed')
    end
    return fail('not_found', 'no such print job')
  end
  local f = waiting[1][2]
  local by = ''
  for i = 1, #f, 2 do if f[i] == 'by' then by = f[i + 1] end end
  if by ~= ARGV[8] then return fail('not_yours', 'the job was sent by someone else') end
end
if redis.call('HGET', KEYS[4], 'sending') == ARGV[2] then
  return fail('printing', 'the job is being sent to the printer right now')
end
if ARGV[8] == '' and redis.call('HDEL', KEYS[3], ARGV[2]) == 1 then
  where = 'held'
elseif #waiting == 1 then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
  redis.call('XDEL', KEYS[2], ARGV[2])
  where = 'queue'
elseif redis.call('ZSCORE', KEYS[6], ARGV[2] .. '|printed') then
  return fail('printed', 'the job has printed')
else
  return fail('not_found', 'no such print job')
end
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[2] .. '|cleared')
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', tonumber(ARGV[4]) - 86400000)
emit_status(KEYS[5], KEYS[4], KEYS[2], KEYS[3], ARGV[6],
  {job_cleared = {id = ARGV[2], by = ARGV[7]}})
return answer({ok = true, job = ARGV[2], from = where})
