"""Exactly-once under real concurrency: several OS processes (spawned, each its own Redis
connection, like bot replicas), each with several threads, act on the same approvals at the
same moment against a real redis-server."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from bot.approvals import ApprovalState, RedisApprovalStore, connect
from tests.approvals import workers
from tests.approvals.helpers import counted, make_approval, requirement, vote

PROCESSES = 4
THREADS = 6


def _now() -> datetime:
    """This test's base time, read when it starts: Redis expires the records by its own (real)
    clock, so they must be live now, however long ago the session began."""
    return datetime.now(UTC).replace(microsecond=0)


def _results(client: redis.Redis, prefix: str, kind: str) -> list[str]:
    return list(client.lrange(workers.results_key(prefix, kind), 0, -1))


def _run_replicas(pool: ProcessPoolExecutor, target: Callable[..., int], **kwargs: Any) -> None:
    """Run `target` in every replica process; all threads start at the same instant."""
    start_at = time.time() + 0.5
    futures = [
        pool.submit(target, **kwargs, process=p, threads=THREADS, start_at=start_at)
        for p in range(PROCESSES)
    ]
    pids = {future.result(timeout=120) for future in futures}
    assert len(pids) == PROCESSES, f"the work must run in {PROCESSES} distinct processes: {pids}"


def test_concurrent_votes_from_many_processes_execute_each_approval_exactly_once(
    redis_client: redis.Redis, redis_url: str, replica_pool: ProcessPoolExecutor
) -> None:
    prefix = f"eo{uuid.uuid4().hex[:6]}"
    t0 = _now()
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    # 3 from sre AND 2 from dba: several votes race for the completing one
    needs = [requirement(3, "sre"), requirement(2, "dba")]
    approvals = [make_approval(requirements=needs, created_at=t0) for _ in range(30)]
    for approval in approvals:
        store.create(approval)
    ids = [a.id for a in approvals]

    _run_replicas(
        replica_pool,
        workers.vote_replica,
        url=redis_url,
        prefix=prefix,
        ids=ids,
        digest=approvals[0].digest,
        now=t0 + timedelta(seconds=1),
    )

    executed = [entry.split("|") for entry in _results(redis_client, prefix, workers.EXECUTED)]
    executed_ids = [approval_id for approval_id, _ in executed]
    assert sorted(executed_ids) == sorted(ids), "each approval must execute exactly once"

    accepted: dict[str, set[str]] = {approval_id: set() for approval_id in ids}
    for entry in _results(redis_client, prefix, workers.ACCEPTED):
        approval_id, voter = entry.split("|")
        accepted[approval_id].add(voter)
    outcomes = Counter(
        {
            k: int(v)
            for k, v in redis_client.hgetall(workers.results_key(prefix, workers.OUTCOMES)).items()
        }
    )
    assert outcomes.total() == PROCESSES * THREADS * len(ids) * 2
    assert outcomes["execute"] == len(ids)
    assert set(outcomes) <= {"recorded", "execute", "duplicate", "not_pending"}

    for approval_id, executor in executed:
        stored = store.get(approval_id)
        assert stored is not None
        assert stored.state is ApprovalState.EXECUTING
        assert stored.decided_by == executor
        # the store holds exactly the votes that callers were told were counted ...
        stored = counted(stored)
        assert set(stored.votes) == accepted[approval_id]
        tally = stored.tally()
        assert all(have >= r.count for have, r in zip(tally, needs, strict=True))
        # ... and the executing caller counted exactly these ballots (try_execute checks the
        # ballots version), its own among them
        assert executor in stored.votes
    assert store.list_pending() == []


def test_duplicate_event_delivery_across_processes_has_one_winner_per_key(
    redis_client: redis.Redis, redis_url: str, replica_pool: ProcessPoolExecutor
) -> None:
    prefix = f"ev{uuid.uuid4().hex[:6]}"
    keys = [f"slack:Ev{n:04d}" for n in range(150)]

    _run_replicas(replica_pool, workers.claim_replica, url=redis_url, prefix=prefix, keys=keys)

    winners = [entry.split("|")[0] for entry in _results(redis_client, prefix, workers.CLAIMED)]
    assert sorted(winners) == sorted(keys), "each event must be claimed exactly once"


def test_expiry_sweeps_from_many_processes_report_each_approval_once(
    redis_client: redis.Redis, redis_url: str, replica_pool: ProcessPoolExecutor
) -> None:
    prefix = f"ex{uuid.uuid4().hex[:6]}"
    t0 = _now()
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    past = t0 - timedelta(seconds=120)
    due = [make_approval(created_at=past, ttl_seconds=60) for _ in range(40)]
    live = [make_approval(created_at=t0, ttl_seconds=3600) for _ in range(5)]
    for approval in [*due, *live]:
        store.create(approval)

    _run_replicas(replica_pool, workers.expire_replica, url=redis_url, prefix=prefix, now=t0)

    notices = _results(redis_client, prefix, workers.EXPIRED)
    assert sorted(notices) == sorted(a.id for a in due), "one expiry notice per approval"
    assert sorted(a.id for a in store.list_pending()) == sorted(a.id for a in live)


def test_interrupt_sweeps_from_many_processes_report_each_stale_execution_once(
    redis_client: redis.Redis, redis_url: str, replica_pool: ProcessPoolExecutor
) -> None:
    prefix = f"in{uuid.uuid4().hex[:6]}"
    t0 = _now()
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    long_ago = t0 - timedelta(seconds=1300)
    stale = [make_approval(created_at=long_ago, ttl_seconds=3600) for _ in range(30)]
    fresh = [make_approval(created_at=t0, ttl_seconds=3600) for _ in range(5)]
    for approval in [*stale, *fresh]:
        store.create(approval)
    for approval in stale:  # began executing 20 minutes ago and never finished
        started = long_ago + timedelta(seconds=100)
        vote(
            store, approval.id, voter_id="U-s", digest=approval.digest, counts_for=[0], now=started
        )
    for approval in fresh:  # began executing just now
        vote(store, approval.id, voter_id="U-s", digest=approval.digest, counts_for=[0], now=t0)

    _run_replicas(
        replica_pool,
        workers.interrupt_replica,
        url=redis_url,
        prefix=prefix,
        older_than_seconds=900,
        now=t0,
    )

    notices = _results(redis_client, prefix, workers.INTERRUPTED)
    assert sorted(notices) == sorted(a.id for a in stale), "one interrupted notice per approval"
    for approval in stale:
        stored = store.get(approval.id)
        assert stored is not None and stored.state is ApprovalState.FAILED
    for approval in fresh:
        stored = store.get(approval.id)
        assert stored is not None and stored.state is ApprovalState.EXECUTING
    executing = redis_client.zrange(f"{{{prefix}}}:executing", 0, -1)
    assert sorted(executing) == sorted(a.id for a in fresh)
