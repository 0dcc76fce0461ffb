"""Red team, silent loss at the intake cap: XADD MAXLEN trimmed the oldest stream entries,
handled or not. Handled entries are deleted (done), so the stream holds only unhandled work:
past the cap the receiver acked requests that were then trimmed, never answered and never
logged. Now a full queue refuses the put (QueueUnavailable: Slack is answered 500 and retries)
and every acked entry is still worked."""

from __future__ import annotations

import uuid

import pytest

from bot.redis_url import connect
from bot.workqueue import QueueUnavailable, RedisWorkQueue


def test_a_full_queue_refuses_new_work_and_keeps_every_acked_entry(redis_url: str) -> None:
    queue = RedisWorkQueue(connect(redis_url), prefix=f"rt3{uuid.uuid4().hex[:10]}", maxlen=100)
    acked = []
    refused = 0
    for n in range(300):  # workers down: a backlog three times the cap
        try:
            acked.append(queue.put("job", {"n": n}))
        except QueueUnavailable:
            refused += 1
    assert refused > 0, "a backlog past the cap was accepted"
    taken = []
    while (delivery := queue.take("worker", block_ms=10)) is not None:
        taken.append(delivery.id)
        queue.done(delivery)
    assert taken == acked, f"{len(acked) - len(taken)} acked entries were dropped unhandled"
    queue.put("job", {"n": "after the backlog drained"})  # room again


def test_a_retry_of_a_recorded_event_is_not_refused_when_full(redis_url: str) -> None:
    """A Slack retry of an event recorded before the queue filled answers its entry (200), so
    Slack stops retrying what is already recorded."""
    queue = RedisWorkQueue(connect(redis_url), prefix=f"rt3{uuid.uuid4().hex[:10]}", maxlen=100)
    first = queue.put("job", {}, dedupe_key="slack:Ev1")
    with pytest.raises(QueueUnavailable):
        for _ in range(1000):
            queue.put("job", {})
    assert queue.put("job", {}, dedupe_key="slack:Ev1") == first
    with pytest.raises(QueueUnavailable):
        queue.put("job", {}, dedupe_key="slack:Ev2")
