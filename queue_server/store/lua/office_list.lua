-- The deployment's list of offices: an office added, closed or reopened, with its event on
-- the list's stream of changes in the same step. Two admins adding one slug at once get one
-- office; a process never hears of a change that was not made, nor misses one that was.
-- KEYS: 1 the list (hash slug -> JSON entry), 2 its stream of changes
-- ARGV: 1 "add" | "seed" | "close" | "reopen", 2 slug, 3 time (ms), 4 who, 5 MAXLEN of the
--       stream
-- An entry: {state = "active" | "closed", periods = {{from ms, to ms or 0}, ...}, by, at}.
-- "seed" adds a config.toml office open since ever (periods {{0, 0}}), without an event:
-- every process has the same file.
-- Answers "ok", or why nothing changed: "exists" (add, seed), "missing", "active" (reopen),
-- "closed" (close).
local op, slug, at, by = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local raw = redis.call('HGET', KEYS[1], slug)
local entry, etype
if op == 'add' or op == 'seed' then
  if raw then return 'exists' end
  local from = at
  if op == 'seed' then from = 0 end
  entry = {state = 'active', periods = {{from, 0}}}
  etype = 'office.added'
else
  if not raw then return 'missing' end
  entry = cjson.decode(raw)
  if op == 'close' then
    if entry.state == 'closed' then return 'closed' end
    entry.state = 'closed'
    entry.periods[#entry.periods][2] = at
    etype = 'office.closed'
  else
    if entry.state == 'active' then return 'active' end
    entry.state = 'active'
    table.insert(entry.periods, {at, 0})
    etype = 'office.reopened'
  end
end
entry.by = by
entry.at = at
redis.call('HSET', KEYS[1], slug, cjson.encode(entry))
if op ~= 'seed' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', etype,
    'data', cjson.encode({office = slug, by = by, at = at}))
end
return 'ok'
