-- Take or renew a lock held by one owner with an expiry (the deployment's scheduler lock).
-- Checking the owner and extending the expiry in one step closes the race where the lock
-- expires between the two and another process takes it: a GET then PEXPIRE from the client
-- could extend the newcomer's lock.
-- KEYS: 1 the lock
-- ARGV: 1 owner, 2 expiry in ms
-- Answers 1 while the caller holds the lock, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
