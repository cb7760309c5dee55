-- Shared by the print_*.lua scripts (after prelude.lua).
-- The printer.status event. `problems` arrives as JSON text from the caller and is spliced
-- in as is: Redis 6.2's cjson turns an empty list into {}, and clients expect a list.
local function emit_status(events, state_key, stream, held, office_printer, extra)
  local h = hgetall(state_key) or {}
  local data = {
    printer = office_printer, state = h.state or 'unknown', problems = '@@problems@@',
    last_ok = tonumber(h.last_ok) or cjson.null, last_error = h.last_error or '',
    pending = redis.call('XLEN', stream), held = redis.call('HLEN', held),
  }
  if extra then for k, v in pairs(extra) do data[k] = v end end
  local text = cjson.encode(data)
  local mark = '"@@problems@@"'
  local at = string.find(text, mark, 1, true)
  text = string.sub(text, 1, at - 1) .. (h.problems or '[]') .. string.sub(text, at + #mark)
  return redis.call('XADD', events, 'MAXLEN', '~', 1000000, '*',
    'type', 'printer.status', 'data', text)
end
