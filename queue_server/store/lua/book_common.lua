-- Shared by the booking scripts (appended after prelude.lua).
-- Events carry no code, name or phone: the office stream also feeds public screens, and a
-- booking code is what lets its holder cancel.
local function booking_event(stream, etype, b)
  return emit(stream, etype, {kind = b.kind, field = b.field, procedure = b.procedure,
    day = b.day, start = tonumber(b.start), status = b.status,
    ticket_number = b.ticket_number or ''})
end

local function add_history(key, entry)
  local h = cjson.decode(redis.call('HGET', key, 'history') or '[]')
  h[#h + 1] = entry
  redis.call('HSET', key, 'history', cjson.encode(h))
end

-- Expire `key` at the instant `at_ms`, measured from the caller's clock `now_ms` rather
-- than Redis's, so data stays as long as meant even when the two clocks disagree.
local function ttl(key, at_ms, now_ms)
  redis.call('PEXPIRE', key, math.max(60000, at_ms - tonumber(now_ms)))
end
