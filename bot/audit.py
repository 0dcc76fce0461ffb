"""The audit trail: every decision and execution, appended to a Redis stream and to the log.

Entries are also written as one JSON line to the `opsbot.audit` logger, so the trail survives
even when Redis does not (and ships to whatever collects the pod's logs).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

import redis
from pydantic import BaseModel, Field

from bot.redact import redact_data
from bot.redis_url import RedisClient

log = logging.getLogger("opsbot.audit")


class AuditEntry(BaseModel):
    ts: datetime = Field(default_factory=lambda: datetime.now(UTC))
    event: str = Field(
        description="decision | approval_created | vote | rejected | expired | "
        "executed | undo_requested | llm_usage | ..."
    )
    requester: str | None = None
    actor: str | None = None
    approvers: list[str] = Field(default_factory=list)
    approval_id: str | None = None
    plan_digest: str | None = None
    plan: str | None = None
    outcome: str | None = None
    reasons: list[str] = Field(default_factory=list)
    before: list[dict[str, Any] | None] = Field(default_factory=list)
    after: list[dict[str, Any] | None] = Field(default_factory=list)
    duration_ms: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class AuditLog:
    """Append-only trail. With a Redis client it writes to `{prefix}:audit` (capped stream);
    without one it keeps the most recent entries in memory (console mode)."""

    def __init__(
        self, *, client: RedisClient | None = None, prefix: str = "opsbot", maxlen: int = 100_000
    ) -> None:
        self._client = client
        self._key = f"{prefix}:audit"
        self._maxlen = maxlen
        self._memory: deque[AuditEntry] = deque(maxlen=10_000)
        self._lock = threading.Lock()

    def record(self, entry: AuditEntry) -> None:
        entry = AuditEntry.model_validate(redact_data(entry.model_dump(mode="json")))
        line = entry.model_dump_json()
        log.info(line)
        if self._client is None:
            with self._lock:
                self._memory.append(entry)
            return
        try:
            self._client.xadd(self._key, {"entry": line}, maxlen=self._maxlen, approximate=True)
        except redis.RedisError as exc:
            # The structured log line above is the fallback trail; say loudly that Redis missed it.
            log.error("audit entry not written to Redis (%s); kept in the log only", exc)

    def recent(self, count: int = 20) -> list[AuditEntry]:
        """Newest last."""
        if self._client is None:
            with self._lock:
                return list(self._memory)[-count:]
        rows: list[tuple[Any, Any]] = list(self._client.xrevrange(self._key, count=count) or [])
        entries = []
        for _id, fields in reversed(rows):
            raw = (fields or {}).get(b"entry") or (fields or {}).get("entry")
            if raw is not None:
                entries.append(AuditEntry.model_validate(json.loads(raw)))
        return entries
