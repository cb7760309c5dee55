-- Enqueue one print job. Closes the race of a retried request (kiosk network hiccup): with
-- the same idempotency key the job is added once, and the answer names the same job.
-- The group is created here too, so a job added before any driver ever ran is still read.
-- KEYS: 1 idem, 2 job stream
-- ARGV: 1 use idem, 2 now ms, 3 uid, 4 kind, 5 data JSON, 6 ticket id or '', 7 requested by,
--       8 group
local prev = replay()
if prev then return prev end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[2], ARGV[8], '0', 'MKSTREAM')
local id = redis.call('XADD', KEYS[2], '*', 'uid', ARGV[3], 'kind', ARGV[4], 'data', ARGV[5],
  'ticket', ARGV[6], 'by', ARGV[7], 'at', ARGV[2])
return answer({ok = true, job = id, uid = ARGV[3]})
