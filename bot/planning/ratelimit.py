"""Per-user rate limits: a sliding one-minute window per (scope, user).

Two scopes are used: `requests` (every request a user sends, checked first in
`OpsService.handle_request`) and `llm-rate` (plain-language requests, which cost model calls).
In Redis (shared by every replica) as a sorted set per user, updated by one Lua script so the
check-and-record is atomic. Without Redis, or while Redis is unreachable, an in-process window
is used: the limit is a flood and cost guard, not a security boundary, so it degrades rather
than blocking every request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
REDIS_COOLDOWN_SECONDS = 30.0  # after a Redis failure, use the local window this long

# KEYS[1] = the user's window; ARGV = now, window, limit, member id
_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


class UserRateLimiter:
    """`allow(user_id) -> (allowed, retry_after_seconds)`; an allowed call is counted.
    `scope` names the window in Redis, so limiters of different scopes never share counts."""

    def __init__(
        self,
        redis_client: Any | None,
        *,
        per_minute: int,
        scope: str = "llm-rate",
        key_prefix: str = "opsbot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._redis = redis_client
        self._per_minute = per_minute
        self._prefix = key_prefix
        self._scope = scope
        self._clock = clock
        self._script = redis_client.register_script(_SCRIPT) if redis_client is not None else None
        self._lock = threading.Lock()
        self._local: dict[str, deque[float]] = {}
        self._redis_down_until = 0.0

    def allow(self, user_id: str) -> tuple[bool, int]:
        now = self._clock()
        if self._script is not None and now >= self._redis_down_until:
            try:
                return self._allow_redis(user_id, now)
            except RedisError as exc:
                self._redis_down_until = now + REDIS_COOLDOWN_SECONDS
                log.warning(
                    "%s rate limit: Redis unavailable (%s); using the local window",
                    self._scope,
                    exc,
                )
        return self._allow_local(user_id, now)

    def _allow_redis(self, user_id: str, now: float) -> tuple[bool, int]:
        assert self._script is not None
        key = f"{self._prefix}:{self._scope}:{user_id}"
        member = f"{now:.6f}:{uuid.uuid4().hex}"
        allowed, retry = self._script(
            keys=[key], args=[now, WINDOW_SECONDS, self._per_minute, member]
        )
        if int(allowed) == 1:
            return True, 0
        return False, max(1, math.ceil(float(retry)))

    def _allow_local(self, user_id: str, now: float) -> tuple[bool, int]:
        with self._lock:
            window = self._local.setdefault(user_id, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) < self._per_minute:
                window.append(now)
                return True, 0
            return False, max(1, math.ceil(window[0] + WINDOW_SECONDS - now))


LlmRateLimiter = UserRateLimiter  # the plain-language limiter (scope "llm-rate")
