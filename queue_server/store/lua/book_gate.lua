-- Open or close the walk-in kiosk of an office, with an event when it changes, so boards
-- and kiosks learn of it and a repeated run of the job emits nothing.
-- KEYS: 1 unused, 2 gate, 3 events; ARGV: 1 '0', 2 "open" or "closed", 3 now ms
local current = redis.call('GET', KEYS[2]) or 'open'
if current == ARGV[2] then return cjson.encode({ok = true, changed = false}) end
if ARGV[2] == 'closed' then redis.call('SET', KEYS[2], 'closed') else redis.call('DEL', KEYS[2]) end
emit(KEYS[3], 'office.walk_in_' .. ARGV[2], {at = tonumber(ARGV[3])})
return cjson.encode({ok = true, changed = true})
