"""Lua scripts for RedisApprovalStore. Each state transition is one script, so Redis runs it
atomically: no other command interleaves between the checks and the writes.

Record layout under the hash tag `{prefix}` (braces included), so every key below hashes to
ONE Redis Cluster slot and a script may touch any of them: the keys a script knows in advance
come in KEYS; expire_due, interrupt_stale and create's per-user cap derive approval keys from
the ids in the indices, which stay in the same slot because they carry the same tag.
  {prefix}:approval:{id}        hash  state, digest, requester (id), expires_at (epoch s),
                                      doc (static JSON), message (JSON), message_key,
                                      decided_by, outcome (JSON), bv (ballots version)
  {prefix}:approval:{id}:votes  hash  voter id -> "<event time us> <1 approve|0 withdraw> <json>"
                                      (ballots; the service counts them, the store never does)
  {prefix}:msg:{message.key}    str   -> approval id
  {prefix}:pending              zset  approval id scored by expires_at
  {prefix}:executing            zset  approval id scored by when it entered executing (epoch s)
  {prefix}:event:{key}          str   claimed chat event -> its owner (the work-queue entry) or 1
                                      (record_ballot claims it atomically)
Replies of the vote-like scripts: {result, state, {}}.
"""

from __future__ import annotations

_HELPERS = """
local function expire_with(hash, votes, ttl_ms)
  redis.call('PEXPIRE', hash, ttl_ms)
  redis.call('PEXPIRE', votes, ttl_ms)
  local msg = redis.call('HGET', hash, 'message_key')
  if msg and msg ~= '' then redis.call('PEXPIRE', msg, ttl_ms) end
end

local function settle(hash, votes, pending, id, state, by, ttl_ms)
  redis.call('HSET', hash, 'state', state)
  if by then redis.call('HSET', hash, 'decided_by', by) end
  redis.call('ZREM', pending, id)
  expire_with(hash, votes, ttl_ms)
end
"""

# KEYS: hash, votes, pending[, message key]
# ARGV: id, expires_at, pexpireat_ms, (unused), requester id,
#       max pending ('' = no cap), now (epoch s), approval key prefix, field, value, ...
# Reply: 1 created, 0 the id exists, {n} the requester already has n pending (the cap)
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[6] ~= '' then
  local n = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[7], '+inf')) do
    local h = ARGV[8] .. id
    if redis.call('HGET', h, 'state') == 'pending' and redis.call('HGET', h, 'requester') == ARGV[5]
    then n = n + 1 end
  end
  if n >= tonumber(ARGV[6]) then return {n} end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[1], 'PXAT', ARGV[3]) end
return 1
"""

# KEYS: hash, message key
# ARGV: id, message_key (= KEYS[2]), message_json
BIND_MESSAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'message_key')
if old and old ~= '' and old ~= ARGV[2] and redis.call('GET', old) == ARGV[1] then
  redis.call('DEL', old)
end
redis.call('HSET', KEYS[1], 'message_key', ARGV[2], 'message', ARGV[3])
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', pttl)
else
  redis.call('SET', KEYS[2], ARGV[1])
end
return 1
"""

# KEYS: hash, votes, pending[, event key]
# ARGV: id, voter, digest ('' = do not check), now, terminal_ttl_ms, ballot value,
#       event time us, approve ('1' | '0'), event owner ('' = none), event ttl s
RECORD_BALLOT = (
    _HELPERS
    + """
if KEYS[4] then
  local held = redis.call('GET', KEYS[4])
  if held and (ARGV[9] == '' or held ~= ARGV[9]) then return {'duplicate_event', '', {}} end
  if not held then
    redis.call('SET', KEYS[4], ARGV[9] ~= '' and ARGV[9] or '1', 'EX', ARGV[10])
  end
end
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not_found', '', {}} end
if state ~= 'pending' then return {'not_pending', state, {}} end
if ARGV[8] == '1' then
  if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'digest') ~= ARGV[3] then
    return {'digest_mismatch', state, {}}
  end
  if tonumber(redis.call('HGET', KEYS[1], 'expires_at')) <= tonumber(ARGV[4]) then
    settle(KEYS[1], KEYS[2], KEYS[3], ARGV[1], 'expired', false, ARGV[5])
    return {'expired', 'expired', {}}
  end
end
local before = redis.call('HGET', KEYS[2], ARGV[2])
local was_approve = false
if before then
  local at, flag = string.match(before, '^(%d+) (%d)')
  if tonumber(at) > tonumber(ARGV[7]) then return {'stale', state, {}} end
  was_approve = flag == '1'
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[6])
redis.call('HINCRBY', KEYS[1], 'bv', 1)
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 then redis.call('PEXPIRE', KEYS[2], pttl) end
if ARGV[8] == '1' then
  if was_approve then return {'duplicate', state, {}} end
  return {'recorded', state, {}}
end
if was_approve then return {'withdrawn', state, {}} end
return {'not_found', state, {}}
"""
)

# KEYS: hash, votes, pending, executing
# ARGV: id, ballots version the caller counted, by, now, terminal_ttl_ms
TRY_EXECUTE = (
    _HELPERS
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not_found', '', {}} end
if state ~= 'pending' then return {'not_pending', state, {}} end
if tonumber(redis.call('HGET', KEYS[1], 'expires_at')) <= tonumber(ARGV[4]) then
  settle(KEYS[1], KEYS[2], KEYS[3], ARGV[1], 'expired', false, ARGV[5])
  return {'expired', 'expired', {}}
end
if (redis.call('HGET', KEYS[1], 'bv') or '0') ~= ARGV[2] then return {'stale', state, {}} end
settle(KEYS[1], KEYS[2], KEYS[3], ARGV[1], 'executing', ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return {'execute', 'executing', {}}
"""
)

# KEYS: hash, votes, pending, executing
# ARGV: id, by, grace_ms (pending records live until expires_at + grace)
# Undo a start that no replica acknowledged: executing -> pending again, the deciding voter's
# ballot taken back (they are told to vote again), only if `by` started it and it is still
# executing. Reply: 1 undone, 0 not (already finished, or another start).
UNSTART = """
if redis.call('HGET', KEYS[1], 'state') ~= 'executing' then return 0 end
if redis.call('HGET', KEYS[1], 'decided_by') ~= ARGV[2] then return 0 end
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires_at'))
local at = math.floor(expires * 1000) + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'pending')
redis.call('HDEL', KEYS[1], 'decided_by')
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'bv', 1)
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'expires_at'), ARGV[1])
redis.call('PEXPIREAT', KEYS[1], at)
redis.call('PEXPIREAT', KEYS[2], at)
local msg = redis.call('HGET', KEYS[1], 'message_key')
if msg and msg ~= '' then redis.call('PEXPIREAT', msg, at) end
return 1
"""

# KEYS: hash, votes, pending
# ARGV: id, by, digest ('' = do not check), now ('' = do not check), terminal_ttl_ms, new state,
#       outcome JSON ('' = none)
CLOSE = (
    _HELPERS
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not_found', '', {}} end
if state ~= 'pending' then return {'not_pending', state, {}} end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'digest') ~= ARGV[3] then
  return {'digest_mismatch', state, {}}
end
if ARGV[4] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'expires_at')) <= tonumber(ARGV[4]) then
  settle(KEYS[1], KEYS[2], KEYS[3], ARGV[1], 'expired', false, ARGV[5])
  return {'expired', 'expired', {}}
end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'outcome', ARGV[7]) end
settle(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[6], ARGV[2], ARGV[5])
return {ARGV[6], ARGV[6], {}}
"""
)

# KEYS: hash, votes, executing
# ARGV: new state, outcome JSON (Executed), terminal_ttl_ms, id
# Reply: 'ok', or the current state ('' when the record does not exist).
FINISH = (
    _HELPERS
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('ZREM', KEYS[3], ARGV[4])
  return ''
end
if state ~= 'executing' then return state end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'outcome', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[4])
expire_with(KEYS[1], KEYS[2], ARGV[3])
return 'ok'
"""
)

# Whether this sweep closes the approval in `hash`: ARGV platforms is '*' (every platform) or
# a comma-separated list; an approval whose preview was never posted (no message) is anyone's.
_SERVES = """
local function serves(hash, platforms)
  if platforms == '*' then return true end
  local message = redis.call('HGET', hash, 'message')
  if not message then return true end
  local platform = cjson.decode(message)['platform'] or ''
  return string.find(',' .. platforms .. ',', ',' .. platform .. ',', 1, true) ~= nil
end
"""

# KEYS: pending
# ARGV: now, terminal_ttl_ms, approval key prefix ('{prefix}:approval:'), platforms
# Reply: ids moved pending -> expired by this call (each id is returned to one caller only).
# Approvals of platforms not served are left untouched, for their own deployment's sweep.
EXPIRE_DUE = (
    _HELPERS
    + _SERVES
    + """
local moved = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local hash = ARGV[3] .. id
  local votes = hash .. ':votes'
  local state = redis.call('HGET', hash, 'state')
  local due = tonumber(redis.call('HGET', hash, 'expires_at') or '0') <= tonumber(ARGV[1])
  if state == 'pending' and due then
    if serves(hash, ARGV[4]) then
      settle(hash, votes, KEYS[1], id, 'expired', false, ARGV[2])
      moved[#moved + 1] = id
    end
  elseif state ~= 'pending' then
    redis.call('ZREM', KEYS[1], id)
  end
end
return moved
"""
)

# KEYS: executing
# ARGV: cutoff (epoch s; started strictly before it is stale), terminal_ttl_ms,
#       approval key prefix ('{prefix}:approval:'), outcome JSON (Interrupted), platforms
# Reply: ids moved executing -> failed by this call (each id is returned to one caller only).
# Executions of platforms not served are left untouched, for their own deployment's sweep.
INTERRUPT_STALE = (
    _HELPERS
    + _SERVES
    + """
local moved = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])) do
  local hash = ARGV[3] .. id
  if redis.call('HGET', hash, 'state') ~= 'executing' then
    redis.call('ZREM', KEYS[1], id)
  elseif serves(hash, ARGV[5]) then
    redis.call('HSET', hash, 'state', 'failed', 'outcome', ARGV[4])
    expire_with(hash, hash .. ':votes', ARGV[2])
    moved[#moved + 1] = id
    redis.call('ZREM', KEYS[1], id)
  end
end
return moved
"""
)

# KEYS: event key  ARGV: owner ('' = none), ttl s
# Reply: 1 claimed (or re-entered by its owner), 0 held by another
CLAIM_EVENT = """
local held = redis.call('GET', KEYS[1])
if held then
  if ARGV[1] ~= '' and held == ARGV[1] then return 1 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1] ~= '' and ARGV[1] or '1', 'EX', ARGV[2])
return 1
"""
