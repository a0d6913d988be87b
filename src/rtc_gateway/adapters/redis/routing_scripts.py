"""The Lua scripts of the Redis routing state: each change is one script, atomic in Redis.

Keys, all under ``P`` (``{prefix}:routing:``, one prefix per service):
- ``q``: every waiting conversation, scored by its place (see below); ``q:any``,
  ``q:police``, ``q:gendarmerie``: the same, split by the force asked for;
- ``c:{id}``: a conversation's routing data while it waits or is held (``svc``, ``topic``,
  ``lang``, ``prio``, ``rank``, ``at``, ``order``, ``ret``, ``node`` that queued it);
- ``assigned``: conversation id -> officer id;
- ``agents``: officer ids scored by their arrival; ``a:{id}``: an officer (``profile`` as
  JSON, ``presence``, ``role``, ``max``, ``svc``, ``topics`` and ``langs`` joined by
  newlines (empty: any), ``idle``, ``node`` its connections reach); ``held:{id}``: the
  conversations it holds (its load);
- ``seq`` / ``aseq``: arrival counters; ``alive:{node}``: a node's heartbeat, with expiry.

A place in line is ``rank * 2^51 + (0 if returning else 1) * 2^50 + order``: urgent
first, then returning, then first come; exact in a double for 2^50 arrivals. Every
script gets ``P`` as ``ARGV[1]``.
"""

_PRELUDE = """
local P = ARGV[1]
local function qkey(svc)
  if svc == '' then return P .. 'q:any' end
  return P .. 'q:' .. svc
end
local function unqueue(cid, svc)
  redis.call('ZREM', P .. 'q', cid)
  redis.call('ZREM', qkey(svc), cid)
end
local function place(rank, returning, order)
  local ret = 1
  if returning then ret = 0 end
  return string.format('%.17g', rank * 2^51 + ret * 2^50 + order)
end
local function queue(cid, svc, rank, returning, now)
  local order = redis.call('INCR', P .. 'seq') - 1
  local score = place(rank, returning, order)
  local ret = '0'
  if returning then ret = '1' end
  redis.call('HSET', P .. 'c:' .. cid, 'at', now, 'order', order, 'ret', ret)
  redis.call('ZADD', P .. 'q', score, cid)
  redis.call('ZADD', qkey(svc), score, cid)
end
local function give(cid, agent, now)
  unqueue(cid, redis.call('HGET', P .. 'c:' .. cid, 'svc'))
  redis.call('SADD', P .. 'held:' .. agent, cid)
  redis.call('HSET', P .. 'a:' .. agent, 'idle', now)
  redis.call('HSET', P .. 'assigned', cid, agent)
end
local function drop_agent(id, keep_data)
  local held = redis.call('SMEMBERS', P .. 'held:' .. id)
  table.sort(held)
  for _, cid in ipairs(held) do
    redis.call('HDEL', P .. 'assigned', cid)
    if not keep_data then redis.call('DEL', P .. 'c:' .. cid) end
  end
  redis.call('DEL', P .. 'a:' .. id, P .. 'held:' .. id)
  redis.call('ZREM', P .. 'agents', id)
  return held
end
"""

# ARGV: P, id, profile, presence, role, max, svc, topics, langs, now, node
AGENT_ONLINE = _PRELUDE + """
local k = P .. 'a:' .. ARGV[2]
if redis.call('EXISTS', k) == 0 then
  redis.call('ZADD', P .. 'agents', redis.call('INCR', P .. 'aseq'), ARGV[2])
  redis.call('HSET', k, 'idle', ARGV[10])
end
redis.call('HSET', k, 'profile', ARGV[3], 'presence', ARGV[4], 'role', ARGV[5],
           'max', ARGV[6], 'svc', ARGV[7], 'topics', ARGV[8], 'langs', ARGV[9],
           'node', ARGV[11])
return 1
"""

# ARGV: P, id, presence. 0: unknown officer.
SET_PRESENCE = _PRELUDE + """
local k = P .. 'a:' .. ARGV[2]
if redis.call('EXISTS', k) == 0 then return 0 end
redis.call('HSET', k, 'presence', ARGV[3])
return 1
"""

# ARGV: P, id. The conversations it held, sorted.
REMOVE_AGENT = _PRELUDE + """
if redis.call('EXISTS', P .. 'a:' .. ARGV[2]) == 0 then return {} end
return drop_agent(ARGV[2], false)
"""

# ARGV: P, node, now. false: the node is alive; else the conversations put back.
TAKE_OVER = _PRELUDE + """
if redis.call('EXISTS', P .. 'alive:' .. ARGV[2]) == 1 then return false end
local requeued = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'agents', 0, -1)) do
  if redis.call('HGET', P .. 'a:' .. id, 'node') == ARGV[2] then
    for _, cid in ipairs(drop_agent(id, true)) do
      local c = redis.call('HMGET', P .. 'c:' .. cid, 'svc', 'rank')
      if c[1] then
        queue(cid, c[1], tonumber(c[2]), true, ARGV[3])
        table.insert(requeued, cid)
      end
    end
  end
end
return requeued
"""

# ARGV: P, node. A node starting again forgets its officers and conversations: the
# conversations come back from the evidence log, the officers when they reconnect.
FORGET_NODE = _PRELUDE + """
local node = ARGV[2]
for _, id in ipairs(redis.call('ZRANGE', P .. 'agents', 0, -1)) do
  if redis.call('HGET', P .. 'a:' .. id, 'node') == node then drop_agent(id, false) end
end
for _, cid in ipairs(redis.call('ZRANGE', P .. 'q', 0, -1)) do
  local c = redis.call('HMGET', P .. 'c:' .. cid, 'node', 'svc')
  if c[1] == node then
    unqueue(cid, c[2])
    redis.call('DEL', P .. 'c:' .. cid)
  end
end
local held = redis.call('HGETALL', P .. 'assigned')
for i = 1, #held, 2 do
  local cid, agent = held[i], held[i + 1]
  if redis.call('HGET', P .. 'c:' .. cid, 'node') == node then
    redis.call('HDEL', P .. 'assigned', cid)
    redis.call('SREM', P .. 'held:' .. agent, cid)
    redis.call('DEL', P .. 'c:' .. cid)
  end
end
return 1
"""

# ARGV: P, id, svc, topic, lang, prio, rank, now, returning (1/0), node.
# -1: already waiting or assigned; else its order.
ENQUEUE = _PRELUDE + """
local cid = ARGV[2]
if redis.call('ZSCORE', P .. 'q', cid) or redis.call('HEXISTS', P .. 'assigned', cid) == 1 then
  return -1
end
redis.call('DEL', P .. 'c:' .. cid)
redis.call('HSET', P .. 'c:' .. cid, 'svc', ARGV[3], 'topic', ARGV[4], 'lang', ARGV[5],
           'prio', ARGV[6], 'rank', ARGV[7], 'node', ARGV[10])
queue(cid, ARGV[3], tonumber(ARGV[7]), ARGV[9] == '1', ARGV[8])
return tonumber(redis.call('HGET', P .. 'c:' .. cid, 'order'))
"""

_ENTRY_FIELDS = "'svc', 'topic', 'lang', 'prio', 'at', 'order', 'ret'"

# ARGV: P, id. false: not waiting; else its entry fields.
DEQUEUE = _PRELUDE + f"""
local cid = ARGV[2]
if not redis.call('ZSCORE', P .. 'q', cid) then return false end
local e = redis.call('HMGET', P .. 'c:' .. cid, {_ENTRY_FIELDS})
unqueue(cid, e[1])
redis.call('DEL', P .. 'c:' .. cid)
return e
"""

# ARGV: P, id. false: not assigned; else the officer that held it.
RELEASE = _PRELUDE + """
local cid = ARGV[2]
local agent = redis.call('HGET', P .. 'assigned', cid)
if not agent then return false end
redis.call('HDEL', P .. 'assigned', cid)
redis.call('SREM', P .. 'held:' .. agent, cid)
if not redis.call('ZSCORE', P .. 'q', cid) then redis.call('DEL', P .. 'c:' .. cid) end
return agent
"""

# ARGV: P, id, agent, this node (the entry is its own from now on).
ADOPT = _PRELUDE + """
local cid, agent = ARGV[2], ARGV[3]
if redis.call('ZSCORE', P .. 'q', cid) then
  unqueue(cid, redis.call('HGET', P .. 'c:' .. cid, 'svc'))
end
if redis.call('EXISTS', P .. 'c:' .. cid) == 1 then
  redis.call('HSET', P .. 'c:' .. cid, 'node', ARGV[4])
end
redis.call('HSET', P .. 'assigned', cid, agent)
if redis.call('EXISTS', P .. 'a:' .. agent) == 1 then
  redis.call('SADD', P .. 'held:' .. agent, cid)
end
return 1
"""

# ARGV: P, now. Flat list: conversation, officer, conversation, officer...
# The policy of rtc_gateway.domain.routing, on the queue and officers as they are now.
ASSIGN = _PRELUDE + """
local now = ARGV[2]
local free = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'agents', 0, -1)) do
  local a = redis.call('HMGET', P .. 'a:' .. id, 'presence', 'role', 'max', 'svc', 'topics',
                       'langs', 'idle')
  if a[1] == 'available' and a[2] == 'agent' then
    local load = redis.call('SCARD', P .. 'held:' .. id)
    local most = tonumber(a[3])
    if load < most then
      table.insert(free, {id = id, load = load, most = most, svc = a[4], topics = a[5],
                          langs = a[6], idle = tonumber(a[7])})
    end
  end
end
if #free == 0 then return {} end
local function within(list, item)
  return list == '' or string.find('\\n' .. list .. '\\n', '\\n' .. item .. '\\n', 1, true)
end
local function better(s, best)
  if best == nil or s.load ~= best.load then return best == nil or s.load < best.load end
  if s.idle ~= best.idle then return s.idle < best.idle end
  return s.id < best.id
end
local out = {}
for _, cid in ipairs(redis.call('ZRANGE', P .. 'q', 0, -1)) do
  if #free == 0 then break end
  local e = redis.call('HMGET', P .. 'c:' .. cid, 'svc', 'topic', 'lang')
  local best, at = nil, nil
  for i, s in ipairs(free) do
    if (e[1] == '' or e[1] == s.svc) and within(s.topics, e[2]) and within(s.langs, e[3])
       and better(s, best) then
      best, at = s, i
    end
  end
  if best ~= nil then
    give(cid, best.id, now)
    best.load = best.load + 1
    best.idle = tonumber(now)
    table.insert(out, cid)
    table.insert(out, best.id)
    if best.load >= best.most then table.remove(free, at) end
  end
end
return out
"""

# ARGV: P, id, agent, now. -1: not waiting; -2: that officer cannot take one; 1: given.
ASSIGN_TO = _PRELUDE + """
local cid, agent = ARGV[2], ARGV[3]
if not redis.call('ZSCORE', P .. 'q', cid) then return -1 end
local a = redis.call('HMGET', P .. 'a:' .. agent, 'presence', 'role', 'max')
if a[1] ~= 'available' or a[2] ~= 'agent'
   or redis.call('SCARD', P .. 'held:' .. agent) >= tonumber(a[3]) then
  return -2
end
give(cid, agent, ARGV[4])
return 1
"""

# ARGV: P, id. false: not waiting; else its 1-based place (see Router.position).
POSITION = _PRELUDE + """
local cid = ARGV[2]
local score = redis.call('ZSCORE', P .. 'q', cid)
if not score then return false end
local svc = redis.call('HGET', P .. 'c:' .. cid, 'svc')
if svc == '' then return 1 + redis.call('ZRANK', P .. 'q', cid) end
return 1 + redis.call('ZCOUNT', P .. 'q:any', '-inf', '(' .. score)
         + redis.call('ZRANK', qkey(svc), cid)
"""

# ARGV: P. Per waiting conversation in order: id, then its entry fields.
WAITING = _PRELUDE + f"""
local out = {{}}
for _, cid in ipairs(redis.call('ZRANGE', P .. 'q', 0, -1)) do
  table.insert(out, {{cid, unpack(redis.call('HMGET', P .. 'c:' .. cid, {_ENTRY_FIELDS}))}})
end
return out
"""

# ARGV: P, svc ('' for any force).
SERVING_SLOTS = _PRELUDE + """
local total = 0
for _, id in ipairs(redis.call('ZRANGE', P .. 'agents', 0, -1)) do
  local a = redis.call('HMGET', P .. 'a:' .. id, 'presence', 'role', 'max', 'svc')
  if a[1] == 'available' and a[2] == 'agent' and (ARGV[2] == '' or ARGV[2] == a[4]) then
    total = total + tonumber(a[3])
  end
end
return total
"""

# ARGV: P, then officer ids ('*' alone: all, in arrival order).
# Per known officer: id, profile, presence, idle, {held conversations}.
AGENTS = _PRELUDE + """
local ids = {}
if ARGV[2] == '*' then ids = redis.call('ZRANGE', P .. 'agents', 0, -1)
else for i = 2, #ARGV do table.insert(ids, ARGV[i]) end end
local out = {}
for _, id in ipairs(ids) do
  local a = redis.call('HMGET', P .. 'a:' .. id, 'profile', 'presence', 'idle')
  if a[1] then
    table.insert(out, {id, a[1], a[2], a[3], redis.call('SMEMBERS', P .. 'held:' .. id)})
  end
end
return out
"""
