-- Prepended to every script of sothutu (Redis 6.2 has no shared functions).
-- Conventions: KEYS[1] is always the idempotency key and ARGV[1] says whether to use it
-- ('1'), so a retried request returns the stored answer and changes nothing again.
-- Scripts return a JSON string: {"ok": ...} or {"err": code, "message": text}.
local function fail(code, message, extra)
  local r = {err = code, message = message}
  if extra then for k, v in pairs(extra) do r[k] = v end end
  return cjson.encode(r)
end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function emit(stream, etype, data)
  return redis.call('XADD', stream, 'MAXLEN', '~', 1000000, '*',
    'type', etype, 'data', cjson.encode(data))
end

local function replay()
  if ARGV[1] == '1' then return redis.call('GET', KEYS[1]) end
  return nil
end

local function answer(result)
  local s = cjson.encode(result)
  if ARGV[1] == '1' then redis.call('SET', KEYS[1], s, 'EX', 86400) end
  return s
end

local function active(status)
  return status == 'called' or status == 'serving'
end

-- Frees the counter that held ticket `id`, if it still holds it.
local function release_counter(counter_key, id, now)
  if redis.call('HGET', counter_key, 'current') == id then
    redis.call('HSET', counter_key, 'current', '', 'current_number', '', 'current_status', '',
      'updated_at', now)
  end
end
