-- Put up (or take down, with an empty text) the message on the office's boards: keep it
-- and append its board.message event in one step. Closes the race of two managers sending
-- at once: the message kept (what a board that connects now gets in its snapshot) is always
-- the one of the last event (what a connected board shows).
-- KEYS: 1 idem, 2 the message, 3 events
-- ARGV: 1 use idem, 2 text, 3 until ms, 4 by, 5 now ms
local prev = replay()
if prev then return prev end
local text, until_ms = ARGV[2], tonumber(ARGV[3])
local id = emit(KEYS[3], 'board.message', {text = text, until_ms = until_ms, by = ARGV[4]})
local ttl = until_ms - tonumber(ARGV[5]) + 60000
if text == '' or ttl <= 0 then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2],
    cjson.encode({text = text, until_ms = until_ms, by = ARGV[4], event = id}), 'PX', ttl)
end
return answer({ok = true, event = id})
