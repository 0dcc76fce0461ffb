"""Entry points for the spawned processes of the exactly-once tests. Each process plays one
bot replica: its own Redis connection and store, several threads acting at once. Every
outcome is appended to Redis lists under the test's own key prefix (see `results_key`) so the
test sees what every replica got. The test passes its clock reading (`now`) explicitly, so the
outcome does not depend on how long ago the test session started."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bot.approvals import RedisApprovalStore, VoteResult, connect
from tests.approvals.helpers import vote

EXECUTED = "execute"
ACCEPTED = "accepted"
OUTCOMES = "outcomes"
CLAIMED = "claimed"
EXPIRED = "expired"
INTERRUPTED = "interrupted"


def results_key(prefix: str, kind: str) -> str:
    """Where the replicas of one test append their outcomes: under that test's own prefix."""
    return f"{prefix}:results:{kind}"


def voter_groups(voter: str) -> list[int]:
    """Requirement 0 is sre, 1 is dba; a third of the voters are in both groups."""
    return [[0], [1], [0, 1]][sum(map(ord, voter)) % 3]


def vote_replica(
    *,
    url: str,
    prefix: str,
    ids: list[str],
    digest: str,
    now: datetime,
    process: int,
    threads: int,
    start_at: float,
) -> int:
    client = connect(url, timeout_seconds=10)
    store = RedisApprovalStore(client, prefix=prefix)

    def run(thread: int) -> None:
        voter = f"U-p{process}-t{thread}"
        order = [*ids, *ids]  # every vote is delivered twice, like a retried event
        random.Random(voter).shuffle(order)
        _sleep_until(start_at)
        for approval_id in order:
            out = vote(
                store,
                approval_id,
                voter_id=voter,
                digest=digest,
                counts_for=voter_groups(voter),
                now=now,
            )
            client.hincrby(results_key(prefix, OUTCOMES), out.result.value, 1)
            if out.result in (VoteResult.RECORDED, VoteResult.EXECUTE):
                client.rpush(results_key(prefix, ACCEPTED), f"{approval_id}|{voter}")
            if out.result is VoteResult.EXECUTE:
                client.rpush(results_key(prefix, EXECUTED), f"{approval_id}|{voter}")

    _run_threads(run, threads)
    client.close()
    return os.getpid()


def claim_replica(
    *, url: str, prefix: str, keys: list[str], process: int, threads: int, start_at: float
) -> int:
    client = connect(url, timeout_seconds=10)
    store = RedisApprovalStore(client, prefix=prefix)

    def run(thread: int) -> None:
        order = list(keys)
        random.Random(f"{process}-{thread}").shuffle(order)
        _sleep_until(start_at)
        for key in order:
            if store.claim_event(key, ttl_seconds=600):
                client.rpush(results_key(prefix, CLAIMED), f"{key}|p{process}-t{thread}")

    _run_threads(run, threads)
    client.close()
    return os.getpid()


def expire_replica(
    *, url: str, prefix: str, now: datetime, process: int, threads: int, start_at: float
) -> int:
    client = connect(url, timeout_seconds=10)
    store = RedisApprovalStore(client, prefix=prefix)

    def run(thread: int) -> None:
        _sleep_until(start_at)
        for _ in range(5):
            for approval in store.expire_due(now):
                client.rpush(results_key(prefix, EXPIRED), approval.id)

    _run_threads(run, threads)
    client.close()
    return os.getpid()


def interrupt_replica(
    *,
    url: str,
    prefix: str,
    older_than_seconds: int,
    now: datetime,
    process: int,
    threads: int,
    start_at: float,
) -> int:
    client = connect(url, timeout_seconds=10)
    store = RedisApprovalStore(client, prefix=prefix)

    def run(thread: int) -> None:
        _sleep_until(start_at)
        for _ in range(5):
            for approval in store.interrupt_stale(now, older_than_seconds=older_than_seconds):
                client.rpush(results_key(prefix, INTERRUPTED), approval.id)

    _run_threads(run, threads)
    client.close()
    return os.getpid()


def warm_up() -> int:
    """Run once per pool process so the imports are done before the timed races start."""
    time.sleep(0.3)
    return os.getpid()


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def _run_threads(target: Callable[[int], None], count: int) -> None:
    workers = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
