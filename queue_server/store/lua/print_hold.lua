-- Take a job out of the line for a person to decide: 'uncertain' (a driver died while its
-- bytes were on the wire: it may have printed) or 'invalid' (it cannot be rendered). The
-- jobs behind it print meanwhile. Atomic, so the job is in exactly one of the two places.
-- KEYS: 1 idem (unused), 2 job stream, 3 held jobs, 4 printer state, 5 office events
-- ARGV: 1 '0', 2 job id, 3 group, 4 reason, 5 now ms, 6 office, 7 printer, 8 detail
local entries = redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2])
if #entries == 0 then return fail('gone', 'the job was cleared') end
local job = {id = ARGV[2], reason = ARGV[4], held_at = ARGV[5], detail = ARGV[8]}
local flat = entries[1][2]
for i = 1, #flat, 2 do job[flat[i]] = flat[i + 1] end
redis.call('HSET', KEYS[3], ARGV[2], cjson.encode(job))
redis.call('XACK', KEYS[2], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[4], 'sending') == ARGV[2] then
  redis.call('HDEL', KEYS[4], 'sending', 'sending_at')
end
emit_status(KEYS[5], KEYS[4], KEYS[2], KEYS[3], ARGV[7],
  -- No ticket id: boards without a token read this stream too, and an id lets its holder
  -- cancel the ticket.
  {job_held = {id = ARGV[2], reason = ARGV[4], kind = job.kind}})
return cjson.encode({ok = true})
