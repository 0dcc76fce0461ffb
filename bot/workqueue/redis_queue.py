"""The work queue on a Redis stream with one consumer group.

Keys (under the store's hash tag `{prefix}`, one Redis Cluster slot; `name` is the queue's
name: `intake` for chat work, `alerts` for Alertmanager notifications):
  {prefix}:{name}             stream  kind, payload (JSON); consumer group `workers`
  {prefix}:{name}:seen:{key}  str     entry id recorded for a dedupe key (a Slack retry)
A worker reads new entries with XREADGROUP (COUNT 1: it holds only what it works on). An entry
whose worker died stays in the group's pending list; once idle longer than
`claim_after_seconds` any worker takes it over with XAUTOCLAIM. A worker on a long job keeps
its entry fresh (`keep`), so a live worker's entry is never taken over.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

from bot.redis_url import RedisClient, run_acknowledged
from bot.workqueue.queue import Delivery, QueueFull, QueueUnavailable

log = logging.getLogger("opsbot.workqueue")

GROUP = "workers"
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.MovedError,
    redis.exceptions.ReadOnlyError,  # a demoted master during a failover
)
_HANDED_BACK_IDLE_MS = 10 * 365 * 86400 * 1000  # older than any takeover timeout

# KEYS: stream[, seen key]  ARGV: maxlen, kind, payload, seen ttl s
# Reply: the entry id (a recorded dedupe key: the first entry's), or nil when the stream holds
# maxlen entries (never trimmed: the stream holds only unhandled work, done deletes entries).
_PUT = """
if KEYS[2] then
  local seen = redis.call('GET', KEYS[2])
  if seen then return seen end
end
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
local id = redis.call('XADD', KEYS[1], '*', 'kind', ARGV[2], 'payload', ARGV[3])
if KEYS[2] then redis.call('SET', KEYS[2], id, 'EX', ARGV[4]) end
return id
"""

# KEYS: stream  ARGV: group, entry id, consumer, idle ms (the entry's new idle time)
# Only the consumer that holds the entry may refresh or hand it back.
_RESET_IDLE = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[4], 'JUSTID')
return 1
"""

# KEYS: stream  ARGV: group, entry id
_DONE = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
"""

# KEYS: stream  ARGV: group, consumer
_FORGET = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisWorkQueue:
    """WorkQueue on the Redis stream `name` (queues with different names never see each
    other's entries). `maxlen`: cap on unhandled entries; past it `put` refuses (QueueFull:
    the receiver does not ack, the sender retries) rather than drop acked work.
    `ack_replicas` > 0: `put` waits (WAIT) until that many replicas hold the entry, so a
    failover cannot forget what was acked."""

    durable = True

    @property
    def takeover_after_seconds(self) -> float:
        return self.claim_after_ms / 1000

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str = "opsbot",
        name: str = "intake",
        claim_after_seconds: float = 60.0,
        maxlen: int = 100_000,
        seen_ttl_seconds: int = 86400,
        ack_replicas: int = 0,
        ack_timeout_ms: int = 500,
    ) -> None:
        if "{" in prefix or "}" in prefix or not prefix:
            raise ValueError(f"key prefix {prefix!r}: use a non-empty prefix without braces")
        if "{" in name or "}" in name or ":" in name or not name:
            raise ValueError(f"queue name {name!r}: use a non-empty name without braces or ':'")
        self._client = client
        self._tag = f"{{{prefix}}}"
        self.stream = f"{self._tag}:{name}"
        self.claim_after_ms = int(claim_after_seconds * 1000)
        self.maxlen = maxlen
        self._seen_ttl = seen_ttl_seconds
        self._ack_replicas = ack_replicas
        self._ack_timeout_ms = ack_timeout_ms
        self._put = client.register_script(_PUT)
        self._reset_idle = client.register_script(_RESET_IDLE)
        self._done = client.register_script(_DONE)
        self._forget = client.register_script(_FORGET)
        self._group_ready = False

    def _seen(self, key: str) -> str:
        return f"{self.stream}:seen:{key}"

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # from id 0: entries recorded before the group existed are worked too
            self._client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> str:
        """Record an entry; with `dedupe_key`, a second put of the same key (a retry of the
        same event, on any replica) records nothing and returns the first entry's id."""
        keys = [self.stream, *([self._seen(dedupe_key)] if dedupe_key else [])]
        args = [str(self.maxlen), kind, json.dumps(payload), str(self._seen_ttl)]
        try:
            self._ensure_group()
            entry_id, acked = run_acknowledged(
                self._client,
                self._put,
                keys,
                args,
                replicas=self._ack_replicas,
                timeout_ms=self._ack_timeout_ms,
            )
        except _UNAVAILABLE as exc:
            raise QueueUnavailable(f"work queue unavailable: {exc}") from exc
        if entry_id is None:
            log.error("work queue full (%d unhandled entries): refusing new work", self.maxlen)
            raise QueueFull(
                f"work queue full: {self.maxlen} entries wait for a worker; nothing was recorded "
                "(are the workers running? raise OPSBOT_INTAKE_MAX_ENTRIES if the backlog is real)"
            )
        if acked < self._ack_replicas:
            raise QueueUnavailable(
                f"work queue: the entry was confirmed by {acked} of {self._ack_replicas} "
                "Redis replica(s) in time"
            )
        return _text(entry_id)

    def take(self, consumer: str, *, block_ms: int) -> Delivery | None:
        try:
            self._ensure_group()
            taken = self._take_over(consumer) or self._read_new(consumer, block_ms)
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream was removed (a flush, a failover)
            return None
        except _UNAVAILABLE as exc:
            raise QueueUnavailable(f"work queue unavailable: {exc}") from exc
        return taken

    def _take_over(self, consumer: str) -> Delivery | None:
        """The first entry idle past the timeout. XAUTOCLAIM looks at COUNT*10 pending entries
        per call, so follow its cursor over the whole pending list: an idle entry behind ten
        held by live workers is reached too."""
        start = "0-0"
        while True:
            reply = self._client.xautoclaim(
                self.stream, GROUP, consumer, self.claim_after_ms, start_id=start, count=1
            )
            for entry_id, fields in reply[1] if len(reply) > 1 else []:
                if fields is None:
                    continue
                pending = self._client.xpending_range(
                    self.stream, GROUP, min=entry_id, max=entry_id, count=1
                )
                attempts = int(pending[0]["times_delivered"]) if pending else 1
                delivery = _delivery(entry_id, fields, attempts)
                log.info("took over %s (%s, attempt %d)", delivery.id, delivery.kind, attempts)
                return delivery
            start = _text(reply[0])
            if start == "0-0":
                return None

    def _read_new(self, consumer: str, block_ms: int) -> Delivery | None:
        reply: Any = self._client.xreadgroup(
            GROUP, consumer, {self.stream: ">"}, count=1, block=max(block_ms, 1)
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                return _delivery(entry_id, fields, 1)
        return None

    def keep(self, delivery: Delivery, consumer: str) -> bool:
        return self._set_idle(delivery, consumer, 0)

    def hand_back(self, delivery: Delivery, consumer: str) -> None:
        self._set_idle(delivery, consumer, _HANDED_BACK_IDLE_MS)

    def _set_idle(self, delivery: Delivery, consumer: str, idle_ms: int) -> bool:
        try:
            held = self._reset_idle(
                keys=[self.stream], args=[GROUP, delivery.id, consumer, str(idle_ms)]
            )
        except _UNAVAILABLE as exc:
            raise QueueUnavailable(f"work queue unavailable: {exc}") from exc
        return bool(held)

    def done(self, delivery: Delivery) -> None:
        try:
            self._done(keys=[self.stream], args=[GROUP, delivery.id])
        except _UNAVAILABLE as exc:
            raise QueueUnavailable(f"work queue unavailable: {exc}") from exc

    def forget_consumer(self, consumer: str) -> None:
        try:
            self._forget(keys=[self.stream], args=[GROUP, consumer])
        except (*_UNAVAILABLE, redis.exceptions.ResponseError) as exc:
            log.info("could not drop consumer %s from the group: %s", consumer, exc)

    def backlog(self) -> tuple[int, int]:
        """(entries in the stream, entries held by a worker): for tests and metrics."""
        pending = self._client.xpending(self.stream, GROUP)
        return int(self._client.xlen(self.stream)), int(pending["pending"])


def _delivery(entry_id: Any, fields: dict[Any, Any], attempts: int) -> Delivery:
    values = {_text(k): _text(v) for k, v in fields.items()}
    return Delivery(
        id=_text(entry_id),
        kind=values.get("kind", ""),
        payload=json.loads(values.get("payload") or "{}"),
        attempts=attempts,
    )
