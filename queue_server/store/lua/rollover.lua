-- Start a new office day: tickets of earlier days still waiting are cancelled and leave the
-- queues. Closes the race with kiosks issuing the first tickets of the day: only tickets
-- whose day is before the new day are touched, and the day key changes in the same step.
-- KEYS: 1 idem, 2 office day, 3 events, 4.. every queue of the office
-- ARGV: 1 use idem, 2 now ms, 3 new day, 4 office
local current = redis.call('GET', KEYS[2])
if current and current >= ARGV[3] then return cjson.encode({ok = true, expired = 0}) end
local expired = 0
local prefix = string.sub(KEYS[2], 1, #KEYS[2] - 3) .. 't:'
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    local key = prefix .. string.sub(id, #ARGV[4] + 2)
    local day = redis.call('HGET', key, 'day')
    if not day or day < ARGV[3] then
      redis.call('ZREM', KEYS[i], id)
      if day then
        redis.call('HSET', key, 'status', 'cancelled', 'finished_at', ARGV[2],
          'cancel_reason', 'day_closed')
      end
      expired = expired + 1
    end
  end
end
redis.call('SET', KEYS[2], ARGV[3])
emit(KEYS[3], 'office.day_started', {day = ARGV[3], expired = expired})
return cjson.encode({ok = true, expired = expired})
