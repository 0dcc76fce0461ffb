"""The work queue protocol: put (the receiver, before it acks), take / done / hand_back (the
workers), `held` + `keep` for work that takes longer than the takeover timeout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class QueueUnavailable(RuntimeError):
    """The queue cannot be reached: the receiver must not ack what it could not record."""


class QueueFull(QueueUnavailable):
    """The queue holds its cap of unhandled entries: refused, not recorded (never trimmed)."""


@dataclass(frozen=True)
class Delivery:
    """One entry handed to one worker. `id` stays the same when another worker takes it over
    (the owner of the idempotency claims it takes); `attempts` counts its deliveries."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int = 1


class WorkQueue(Protocol):
    @property
    def durable(self) -> bool:
        """True when an entry survives this process (Redis)."""
        ...

    @property
    def takeover_after_seconds(self) -> float | None:
        """How long a held entry may go without `keep` before another worker takes it over
        (None: never taken over)."""
        ...

    def put(self, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> str:
        """Record one unit of work and return its entry id; QueueUnavailable when it could not
        be recorded (QueueFull: the cap of unhandled entries is reached). With `dedupe_key` a
        second put of the same key (a retried event) records nothing and returns the first
        entry's id."""
        ...

    def take(self, consumer: str, *, block_ms: int) -> Delivery | None:
        """The next entry for `consumer`: first one a dead worker held longer than the takeover
        timeout, else a new one (waiting up to `block_ms`). A worker holds one at a time."""
        ...

    def keep(self, delivery: Delivery, consumer: str) -> bool:
        """Tell the queue `consumer` still works on `delivery` (so it is not taken over);
        False when it was taken over already."""
        ...

    def done(self, delivery: Delivery) -> None:
        """The entry is handled (or given up): remove it."""
        ...

    def hand_back(self, delivery: Delivery, consumer: str) -> None:
        """Not started (shutting down): make it claimable by another worker at once."""
        ...

    def forget_consumer(self, consumer: str) -> None:
        """A worker that exits cleanly and holds nothing: drop its name from the group."""
        ...
