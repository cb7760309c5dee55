-- Renew a lock the caller holds (a printer's driver), never take it: a driver that lost its
-- printer to another must step down rather than take it back. The owner check and the new
-- expiry in one step close the race where the lock expires and is taken between the two.
-- KEYS: 1 the lock
-- ARGV: 1 owner, 2 expiry in ms
-- Answers 1 while the caller holds the lock, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
