-- Mark a job as being on the wire, just before its bytes go to the printer. Closes the race
-- with a manager clearing it: the job is either gone (not printed) or marked (and then the
-- clear is refused), never cleared and printed too. After a crash the mark tells the next
-- driver that the job may have printed.
-- KEYS: 1 idem (unused), 2 job stream, 3 printer state
-- ARGV: 1 '0', 2 job id, 3 now ms
if #redis.call('XRANGE', KEYS[2], ARGV[2], ARGV[2]) == 0 then
  return fail('gone', 'the job was cleared')
end
redis.call('HSET', KEYS[3], 'sending', ARGV[2], 'sending_at', ARGV[3])
return cjson.encode({ok = true})
