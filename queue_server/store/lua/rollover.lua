-- Start a new office day: tickets of earlier days still waiting are cancelled and leave the
-- queues. Closes the race with kiosks issuing the first tickets of the day: only tickets
-- whose day is before the new day are touched, and the day key changes in the same step.
-- The caller passes the tickets its read of the queues found (a cluster needs every key in
-- KEYS); if a ticket was queued since, the answer is 'stale' and it reads again.
-- KEYS: 1 idem, 2 office day, 3 events, 4..3+n every queue of the office (n = ARGV[5]),
--       then the hashes of the tickets in ARGV 6.. (same order)
-- ARGV: 1 use idem, 2 now ms, 3 new day, 4 office, 5 n, 6.. the ticket ids the caller read
local current = redis.call('GET', KEYS[2])
if current and current >= ARGV[3] then return cjson.encode({ok = true, expired = 0}) end
local last_queue = 3 + tonumber(ARGV[5])
local ticket_keys = {}
for i = 6, #ARGV do ticket_keys[ARGV[i]] = KEYS[last_queue + i - 5] end
local queued = {}
for q = 4, last_queue do
  for _, id in ipairs(redis.call('ZRANGE', KEYS[q], 0, -1)) do
    if not ticket_keys[id] then return fail('stale', 'a ticket was queued meanwhile') end
    queued[#queued + 1] = {q, id}
  end
end
local expired = 0
for _, entry in ipairs(queued) do
  local q, id = entry[1], entry[2]
  local key = ticket_keys[id]
  local day = redis.call('HGET', key, 'day')
  if not day or day < ARGV[3] then
    redis.call('ZREM', KEYS[q], id)
    if day then
      redis.call('HSET', key, 'status', 'cancelled', 'finished_at', ARGV[2],
        'cancel_reason', 'day_closed')
    end
    expired = expired + 1
  end
end
redis.call('SET', KEYS[2], ARGV[3])
emit(KEYS[3], 'office.day_started', {day = ARGV[3], expired = expired})
return cjson.encode({ok = true, expired = expired})
