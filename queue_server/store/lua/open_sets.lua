-- Rebuild an office's open-counter sets from its counters as configured now, after a
-- manager changed which fields a counter serves, or added or removed a counter or a field.
-- counter.lua keeps the sets only for the fields a counter served when it opened or closed:
-- without this, a field newly given to an open counter stays "no counter open" at the
-- kiosk, and a field taken from it keeps issuing tickets nobody calls. Closes the race with
-- a counter opening or closing meanwhile: states and sets are read and written in one step.
-- KEYS: 1 idem (unused), 2..1+F the open-counter sets of the office's F fields, then the
--       hashes of its C counters
-- ARGV: 1 '0', 2 F, 3 C, 4..3+F per field the indexes (1..C) of the counters serving it,
--       comma-separated, then the C counter numbers
local nf, nc = tonumber(ARGV[2]), tonumber(ARGV[3])
local open = {}
for j = 1, nc do
  open[j] = redis.call('HGET', KEYS[1 + nf + j], 'status') == 'open'
end
for i = 1, nf do
  redis.call('DEL', KEYS[1 + i])
  for index in string.gmatch(ARGV[3 + i], '%d+') do
    local j = tonumber(index)
    if open[j] then redis.call('SADD', KEYS[1 + i], ARGV[3 + nf + j]) end
  end
end
return answer({ok = true})
