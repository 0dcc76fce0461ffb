"""What the Slack adapter remembers between events, shared by every replica through Redis.

Slack's reaction events do not carry the message they point at, so what only Slack knows about
a preview message is kept here: the digest it shows (a vote counts only for that plan), its
header (the slash command echoed) and its thread. The preview itself (plan, current -> desired,
dry run, requirements, expiry) is rendered from the approval in the store. Also one-shot
event claims for replies the service never sees (for example the polite refusal in a channel
the bot does not serve).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import redis
from pydantic import BaseModel

from bot.models import MessageRef
from bot.redis_url import RedisClient, connect

log = logging.getLogger("opsbot.slack.state")

PREVIEW_TTL_SECONDS = 8 * 86400  # longer than an approval lives plus the undo window


class ShownPreview(BaseModel):
    """A preview message as first posted: what the approval does not hold. `digest` is None
    in records of the previous version (they held the whole reply); votes then count for the
    stored plan's digest."""

    digest: str | None = None
    requester: str | None = None
    request_text: str | None = None
    thread_ts: str | None = None


class SlackState(Protocol):
    def claim(self, key: str, *, ttl_seconds: int = 86400) -> bool: ...

    def save_preview(self, message: MessageRef, shown: ShownPreview) -> None: ...

    def load_preview(self, message: MessageRef) -> ShownPreview | None: ...


class MemoryState:
    """Single-process state (no REDIS_URL)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._previews: dict[str, ShownPreview] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, ttl_seconds: int = 86400) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = now + ttl_seconds
            return True

    def save_preview(self, message: MessageRef, shown: ShownPreview) -> None:
        with self._lock:
            self._previews[message.key] = shown

    def load_preview(self, message: MessageRef) -> ShownPreview | None:
        with self._lock:
            return self._previews.get(message.key)


class RedisState:
    """Shared state; on a Redis failure claims fail open (the service still de-duplicates
    everything that matters) and previews fall back to what the approval store holds."""

    def __init__(self, client: RedisClient, *, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}:slack"

    def claim(self, key: str, *, ttl_seconds: int = 86400) -> bool:
        try:
            return bool(
                self._client.set(f"{self._prefix}:seen:{key}", b"1", nx=True, ex=ttl_seconds)
            )
        except redis.RedisError as exc:
            log.warning("Redis unavailable, cannot de-duplicate %s: %s", key, exc)
            return True

    def save_preview(self, message: MessageRef, shown: ShownPreview) -> None:
        try:
            self._client.set(
                f"{self._prefix}:preview:{message.key}",
                shown.model_dump_json(),
                ex=PREVIEW_TTL_SECONDS,
            )
        except redis.RedisError as exc:
            log.warning("could not remember preview %s: %s", message.key, exc)

    def load_preview(self, message: MessageRef) -> ShownPreview | None:
        try:
            raw = self._client.get(f"{self._prefix}:preview:{message.key}")
        except redis.RedisError as exc:
            log.warning("could not read preview %s: %s", message.key, exc)
            return None
        if raw is None:
            return None
        return ShownPreview.model_validate_json(raw)


def state_from_url(redis_url: str | None, *, prefix: str) -> SlackState:
    if not redis_url:
        return MemoryState()
    return RedisState(connect(redis_url, timeout_seconds=5), prefix=prefix)
