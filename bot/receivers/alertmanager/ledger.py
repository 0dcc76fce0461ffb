"""The receiver's alert state in Redis: each alert group's chat message, the alerts it has
seen, one-time work claims and the group lock. (The notifications themselves wait in the
alert work queue, bot/workqueue, until a worker has processed them.)

Every key shares one hash tag, so the scripts also run on Redis Cluster."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator

from bot.redis_url import RedisClient

GROUP_TTL_SECONDS = 30 * 86400
# the group lock outlives one chat call (the Slack client's 30 s timeout): a replica that died
# holding it delays the group's next update by at most this long
GROUP_LOCK_SECONDS = 30.0

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# an alert's status for one (fingerprint, startsAt): resolved is final, firing never undoes it
_SEE = """
local now = redis.call('HGET', KEYS[1], ARGV[1])
if now == 'resolved' then return 0 end
if now == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


class AlertLedger:
    def __init__(self, client: RedisClient, *, prefix: str) -> None:
        self.client = client
        self.base = "{" + prefix + ":alerts}"
        self._release = client.register_script(_RELEASE)
        self._see = client.register_script(_SEE)

    # ------------------------------------------------------------------ groups
    def group(self, group_id: str) -> dict[str, str]:
        raw = self.client.hgetall(self._group(group_id))
        return {_text(k): _text(v) for k, v in raw.items()}

    def set_group(self, group_id: str, **fields: str) -> None:
        key = self._group(group_id)
        self.client.hset(key, mapping=dict[str | bytes, str | bytes](fields))  # type: ignore[arg-type]
        self.client.expire(key, GROUP_TTL_SECONDS)

    def see(self, group_id: str, alert_key: str, status: str) -> bool:
        """Record an alert's status; True when it changed (first firing, or its resolution)."""
        return bool(
            self._see(
                keys=[f"{self.base}:alerts:{group_id}"],
                args=[alert_key, status, GROUP_TTL_SECONDS],
            )
        )

    def statuses(self, group_id: str) -> dict[str, str]:
        raw = self.client.hgetall(f"{self.base}:alerts:{group_id}")
        return {_text(k): _text(v) for k, v in raw.items()}

    def first(self, what: str) -> bool:
        """Claim a one-time piece of work (evidence, a fix, a resolution note) across replicas."""
        return bool(self.client.set(self._once(what), "1", nx=True, ex=GROUP_TTL_SECONDS))

    @contextlib.contextmanager
    def once(self, what: str) -> Iterator[bool]:
        """`first(what)` for one step: yields True to the one worker that should do it; if the
        step raises, the claim is released, so the notification's retry does it again (a step
        that finished, or a worker that died inside it, keeps it: never done twice)."""
        mine = self.first(what)
        try:
            yield mine
        except BaseException:
            if mine:
                self.client.delete(self._once(what))
            raise

    def _once(self, what: str) -> str:
        return f"{self.base}:once:{what}"

    @contextlib.contextmanager
    def group_lock(self, group_id: str, *, timeout: float = GROUP_LOCK_SECONDS) -> Iterator[None]:
        """One replica at a time posts or updates a group's message."""
        key = f"{self.base}:lock:{group_id}"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        while not self.client.set(key, token, nx=True, px=int(timeout * 1000)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"alert group {group_id} stayed locked for {timeout:.0f} s")
            time.sleep(0.02)
        try:
            yield
        finally:
            self._release(keys=[key], args=[token])

    def _group(self, group_id: str) -> str:
        return f"{self.base}:group:{group_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
