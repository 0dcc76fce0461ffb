"""Red team, work-queue takeover on a real Redis: a dead worker's entry must be taken over
however many older entries live workers hold, and a live worker's entry must never be taken
over, whatever takeover timeout the deployment sets (OPSBOT_INTAKE_CLAIM_AFTER_SECONDS >= 1)."""

from __future__ import annotations

import threading
import time
import uuid

from bot.redis_url import connect
from bot.workqueue import Delivery, RedisWorkQueue, WorkerPool


def _queue(redis_url: str, claim_after: float) -> RedisWorkQueue:
    return RedisWorkQueue(
        connect(redis_url), prefix=f"rt3{uuid.uuid4().hex[:10]}", claim_after_seconds=claim_after
    )


def test_a_dead_workers_entry_behind_many_live_ones_is_taken_over(redis_url: str) -> None:
    """XAUTOCLAIM looks at COUNT*10 pending entries per call; restarting every call at 0-0
    with COUNT 1 never reached an idle entry behind ten live ones (a busy deployment:
    16 threads per process), so a dead worker's request waited for all of them."""
    queue = _queue(redis_url, claim_after=1)
    ids = [queue.put("job", {"n": n}) for n in range(12)]
    live = [queue.take("live-worker", block_ms=50) for _ in range(11)]
    assert all(d is not None for d in live)
    dead = queue.take("dead-worker", block_ms=50)
    assert dead is not None and dead.id == ids[-1]
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # the live worker keeps its entries fresh meanwhile
        time.sleep(0.3)
        for delivery in live:
            assert delivery is not None and queue.keep(delivery, "live-worker")
    taken = queue.take("other", block_ms=50)
    assert taken is not None, "the dead worker's entry was never taken over"
    assert (taken.id, taken.attempts) == (dead.id, 2)


def test_a_live_worker_keeps_its_entry_under_a_short_takeover_timeout(redis_url: str) -> None:
    """WorkerPool refreshed held entries every 10 s whatever the queue's takeover timeout: with
    claim_after 1 s another replica took over the entry of a worker still working on it, and
    both handled the same request (same entry id, so the owned claims let both through)."""
    queue = _queue(redis_url, claim_after=1)
    started, release = threading.Event(), threading.Event()

    def handle(delivery: Delivery) -> None:
        started.set()
        release.wait(30)

    pool = WorkerPool(queue, handle, give_up=handle, threads=1, block_ms=100).start()
    try:
        entry = queue.put("slow", {})
        assert started.wait(10)
        time.sleep(2.5)  # well past the takeover timeout, the worker still busy
        stolen = queue.take("other-replica", block_ms=50)
        assert stolen is None, f"{entry} was taken over from a live worker"
    finally:
        release.set()
        pool.stop(grace_seconds=10)
