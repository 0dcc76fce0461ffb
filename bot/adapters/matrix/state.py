"""What the Matrix adapter remembers, shared by replicas through Redis (or in-process):
the sync position (since-token), the previews as first posted (an m.replace edit carries the
whole new content), which reaction event voted on which preview (a redaction names only the
event it removes), and one-shot claims for notices the service never sees."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import redis
from pydantic import BaseModel

from bot.redis_url import RedisClient
from bot.replies import NeedsApprovalReply

log = logging.getLogger("opsbot.matrix.state")

TTL_SECONDS = 8 * 86400  # longer than an approval lives plus the undo window


class ShownPreview(BaseModel):
    reply: NeedsApprovalReply
    requester: str
    thread_root: str  # the request's thread (m.thread root event)


class Reaction(BaseModel):
    """A reaction the adapter acted on: its redaction withdraws this vote."""

    room_id: str
    preview_event_id: str
    key: str
    sender: str


class MatrixState(Protocol):
    def since(self) -> str | None: ...

    def save_since(self, token: str) -> None: ...

    def claim(self, key: str) -> bool: ...

    def save_preview(self, event_id: str, shown: ShownPreview) -> None: ...

    def load_preview(self, event_id: str) -> ShownPreview | None: ...

    def save_reaction(self, event_id: str, reaction: Reaction) -> None: ...

    def load_reaction(self, event_id: str) -> Reaction | None: ...


class MemoryState:
    def __init__(self) -> None:
        self._since: str | None = None
        self._claims: set[str] = set()
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def since(self) -> str | None:
        return self._since

    def save_since(self, token: str) -> None:
        self._since = token

    def claim(self, key: str) -> bool:
        with self._lock:
            if key in self._claims:
                return False
            self._claims.add(key)
            return True

    def save_preview(self, event_id: str, shown: ShownPreview) -> None:
        self._values[f"preview:{event_id}"] = shown.model_dump_json()

    def load_preview(self, event_id: str) -> ShownPreview | None:
        raw = self._values.get(f"preview:{event_id}")
        return ShownPreview.model_validate_json(raw) if raw else None

    def save_reaction(self, event_id: str, reaction: Reaction) -> None:
        self._values[f"reaction:{event_id}"] = reaction.model_dump_json()

    def load_reaction(self, event_id: str) -> Reaction | None:
        raw = self._values.get(f"reaction:{event_id}")
        return Reaction.model_validate_json(raw) if raw else None


class RedisState:
    """Keys under `{prefix}:matrix:{user id}`. A Redis error while saving the since-token is
    logged and the next batch saves it again: replayed events are claimed by event id, so a
    stale token re-reads but never re-runs."""

    def __init__(self, client: RedisClient, *, prefix: str, user_id: str) -> None:
        self._client = client
        self._prefix = f"{prefix}:matrix:{user_id}"

    def since(self) -> str | None:
        raw = self._client.get(f"{self._prefix}:since")
        return raw.decode() if isinstance(raw, bytes) else raw

    def save_since(self, token: str) -> None:
        try:
            self._client.set(f"{self._prefix}:since", token)
        except redis.RedisError as exc:
            log.warning("could not store the sync position (kept for the next batch): %s", exc)

    def claim(self, key: str) -> bool:
        try:
            return bool(self._client.set(f"{self._prefix}:seen:{key}", b"1", nx=True, ex=86400))
        except redis.RedisError as exc:
            log.warning("Redis unavailable, cannot de-duplicate %s: %s", key, exc)
            return True

    def _save(self, key: str, value: BaseModel) -> None:
        try:
            self._client.set(f"{self._prefix}:{key}", value.model_dump_json(), ex=TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("could not remember %s: %s", key, exc)

    def _load(self, key: str) -> bytes | str | None:
        try:
            raw: bytes | str | None = self._client.get(f"{self._prefix}:{key}")
            return raw
        except redis.RedisError as exc:
            log.warning("could not read %s: %s", key, exc)
            return None

    def save_preview(self, event_id: str, shown: ShownPreview) -> None:
        self._save(f"preview:{event_id}", shown)

    def load_preview(self, event_id: str) -> ShownPreview | None:
        raw = self._load(f"preview:{event_id}")
        return ShownPreview.model_validate_json(raw) if raw else None

    def save_reaction(self, event_id: str, reaction: Reaction) -> None:
        self._save(f"reaction:{event_id}", reaction)

    def load_reaction(self, event_id: str) -> Reaction | None:
        raw = self._load(f"reaction:{event_id}")
        return Reaction.model_validate_json(raw) if raw else None
