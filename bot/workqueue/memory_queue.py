"""The work queue in this process (no REDIS_URL: development, the console, tests). NOT durable:
what it holds is lost when the process stops, and only this process's workers see it."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any

from bot.workqueue.queue import Delivery


class MemoryWorkQueue:
    durable = False
    takeover_after_seconds = None  # a held entry goes back only when handed back

    def __init__(self, *, seen_limit: int = 10_000) -> None:
        self._ready: deque[Delivery] = deque()
        self._held: dict[str, tuple[str, Delivery]] = {}
        self._seen: dict[str, str] = {}
        self._seen_limit = seen_limit
        self._ids = itertools.count(1)
        self._changed = threading.Condition()

    def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> str:
        with self._changed:
            if dedupe_key is not None and dedupe_key in self._seen:
                return self._seen[dedupe_key]
            entry_id = f"{time.time_ns() // 1_000_000}-{next(self._ids)}"
            self._ready.append(Delivery(id=entry_id, kind=kind, payload=dict(payload)))
            if dedupe_key is not None:
                if len(self._seen) >= self._seen_limit:
                    self._seen.pop(next(iter(self._seen)))
                self._seen[dedupe_key] = entry_id
            self._changed.notify()
            return entry_id

    def take(self, consumer: str, *, block_ms: int) -> Delivery | None:
        deadline = time.monotonic() + block_ms / 1000
        with self._changed:
            while not self._ready:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            delivery = self._ready.popleft()
            self._held[delivery.id] = (consumer, delivery)
            return delivery

    def keep(self, delivery: Delivery, consumer: str) -> bool:
        with self._changed:
            held = self._held.get(delivery.id)
            return held is not None and held[0] == consumer

    def done(self, delivery: Delivery) -> None:
        with self._changed:
            self._held.pop(delivery.id, None)

    def hand_back(self, delivery: Delivery, consumer: str) -> None:
        with self._changed:
            held = self._held.get(delivery.id)
            if held is None or held[0] != consumer:
                return
            del self._held[delivery.id]
            self._ready.appendleft(
                Delivery(
                    id=delivery.id,
                    kind=delivery.kind,
                    payload=delivery.payload,
                    attempts=delivery.attempts + 1,
                )
            )
            self._changed.notify()

    def forget_consumer(self, consumer: str) -> None:
        return None

    def backlog(self) -> tuple[int, int]:
        with self._changed:
            return len(self._ready) + len(self._held), len(self._held)
