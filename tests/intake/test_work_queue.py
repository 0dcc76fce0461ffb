"""The durable work queue on a real Redis: takeover of a dead worker's entry, hand-back,
keep-alive, poison entries, the MAXLEN cap, retries de-duplicated, Redis down at put."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable

import pytest
import redis

from bot.approvals.redis_store import RedisApprovalStore
from bot.redis_url import connect
from bot.workqueue import (
    Delivery,
    MemoryWorkQueue,
    QueueFull,
    QueueUnavailable,
    RedisWorkQueue,
    WorkerPool,
)

Factory = Callable[..., RedisWorkQueue]


@pytest.fixture
def make_queue(redis_url: str) -> Factory:
    def make(**options: object) -> RedisWorkQueue:
        return RedisWorkQueue(connect(redis_url), prefix=f"q{uuid.uuid4().hex[:10]}", **options)  # type: ignore[arg-type]

    return make


def test_an_entry_a_dead_worker_held_is_taken_over_after_the_timeout(make_queue: Factory) -> None:
    queue = make_queue(claim_after_seconds=1)
    entry = queue.put("job", {"n": 1})
    held = queue.take("dead-worker", block_ms=100)
    assert held is not None and held.id == entry and held.attempts == 1
    # before the timeout nobody else gets it
    assert queue.take("other", block_ms=100) is None
    time.sleep(1.1)
    taken = queue.take("other", block_ms=100)
    assert taken is not None
    assert (taken.id, taken.payload, taken.attempts) == (entry, {"n": 1}, 2)
    queue.done(taken)
    assert queue.backlog() == (0, 0)
    # the dead worker's late "keep" learns it lost the entry
    assert queue.keep(held, "dead-worker") is False


def test_a_kept_entry_is_not_taken_over(make_queue: Factory) -> None:
    queue = make_queue(claim_after_seconds=1)
    queue.put("job", {})
    held = queue.take("slow-worker", block_ms=100)
    assert held is not None
    for _ in range(3):
        time.sleep(0.5)
        assert queue.keep(held, "slow-worker") is True
        assert queue.take("other", block_ms=50) is None


def test_a_handed_back_entry_is_taken_at_once_by_another_worker(make_queue: Factory) -> None:
    queue = make_queue(claim_after_seconds=600)
    entry = queue.put("job", {"x": "y"})
    held = queue.take("stopping", block_ms=100)
    assert held is not None
    queue.hand_back(held, "not-the-holder")  # only the holder may hand it back
    assert queue.take("other", block_ms=50) is None
    queue.hand_back(held, "stopping")
    taken = queue.take("other", block_ms=100)
    assert taken is not None and taken.id == entry


def test_a_retried_put_records_one_entry(make_queue: Factory) -> None:
    queue = make_queue()
    first = queue.put("job", {"a": 1}, dedupe_key="Ev1")
    again = queue.put("job", {"a": 1}, dedupe_key="Ev1")
    assert first == again
    assert queue.backlog() == (1, 0)


def test_maxlen_caps_the_stream(make_queue: Factory) -> None:
    queue = make_queue(maxlen=100)
    for n in range(100):
        queue.put("job", {"n": n})
    with pytest.raises(QueueFull):  # refused, never trimmed (tests/security/..._loss.py)
        queue.put("job", {"n": 100})
    assert queue.backlog() == (100, 0)


def test_put_with_redis_down_raises_queue_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    queue = RedisWorkQueue(connect(f"redis://127.0.0.1:{port}/0", timeout_seconds=0.3))
    with pytest.raises(QueueUnavailable):
        queue.put("job", {})


@pytest.mark.parametrize("durable", [True, False])
def test_a_poison_entry_is_given_up_once_after_max_attempts(
    make_queue: Factory, durable: bool
) -> None:
    queue = make_queue(claim_after_seconds=1) if durable else MemoryWorkQueue()
    entry = queue.put("poison", {})
    tried: list[int] = []
    given_up: list[Delivery] = []
    done = threading.Event()

    def handle(delivery: Delivery) -> None:
        tried.append(delivery.attempts)
        raise RuntimeError("this entry always fails")

    def give_up(delivery: Delivery) -> None:
        given_up.append(delivery)
        done.set()

    pool = WorkerPool(
        queue, handle, give_up=give_up, threads=2, max_attempts=2, block_ms=100
    ).start()
    try:
        assert done.wait(20)
    finally:
        pool.stop(grace_seconds=5)
    assert tried == [1, 2]
    assert [d.id for d in given_up] == [entry]
    assert queue.backlog() == (0, 0)


def test_stop_finishes_the_held_entry_and_hands_nothing_over(make_queue: Factory) -> None:
    queue = make_queue(claim_after_seconds=600)
    started = threading.Event()
    finished: list[str] = []

    def handle(delivery: Delivery) -> None:
        started.set()
        time.sleep(1.0)
        finished.append(delivery.id)

    entry = queue.put("slow", {})
    pool = WorkerPool(queue, handle, give_up=handle, threads=1, block_ms=100).start()
    assert started.wait(10)
    assert pool.stop(grace_seconds=10) is True
    assert finished == [entry]
    assert queue.backlog() == (0, 0)


def test_a_claim_is_owned_by_the_entry_that_took_it(redis_url: str) -> None:
    """The same entry, re-handled after its worker died, may take its claim again; another
    delivery of the same event (a Slack retry recorded anew) may not."""
    store = RedisApprovalStore(connect(redis_url), prefix=f"c{uuid.uuid4().hex[:10]}")
    assert store.claim_event("req:Ev1", owner="1-1") is True
    assert store.claim_event("req:Ev1", owner="1-1") is True
    assert store.claim_event("req:Ev1", owner="2-1") is False
    assert store.claim_event("req:Ev1") is False
    assert store.claim_event("req:Ev2") is True
    assert store.claim_event("req:Ev2", owner="1-1") is False


def test_redis_errors_are_not_swallowed_as_empty(make_queue: Factory) -> None:
    queue = make_queue()
    queue._client.set(queue.stream, "not a stream")  # a wrong type is a bug, not "no work"
    with pytest.raises(redis.exceptions.ResponseError):
        queue.take("w", block_ms=10)
