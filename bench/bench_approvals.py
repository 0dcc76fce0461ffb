"""Approval store throughput: votes/s and executions/s with N concurrent processes, against a
plain Redis SET baseline measured in the same run on the same server.

    uv run python bench/bench_approvals.py [--seconds 1.0] [--procs 1,2,4,8]

Starts its own redis-server on 127.0.0.1 (or uses REDIS_URL, under a throwaway key prefix).
Workloads, each run for --seconds by every process at once (spawned processes, one client each):
  SET        plain `SET key value` round trips (the floor any Redis-backed store pays)
  vote       a ballot that is recorded (the approval needs 10): one atomic Lua script call
             (plus one create() per 9 votes, not counted)
  execute    create() + the ballot that completes it + counting it (one read, then the
             atomic pending -> executing) + finish(done): the store's whole part in one
             approved plan, four script calls and one read
Ratios are store ops/s divided by SET/s at the same N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.local_redis import redis_for_bench
from bot.approvals import (
    ApprovalState,
    PendingApproval,
    RedisApprovalStore,
    VoteResult,
    connect,
)
from bot.approvals.counting import count_and_start
from bot.approvals.models import Ballot
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.models import Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement
from bot.run_report import ExecutionReport

VOTES_PER_APPROVAL = 9  # recorded votes per approval in the vote workload (it needs 10)


def _template(count: int) -> PendingApproval:
    now = datetime.now(UTC)
    return PendingApproval(
        id="template",
        plan=Plan(steps=[ScaleDeployment(namespace="prod", name="web", replicas=5)]),
        requester=Principal(id="U-req", groups=frozenset({"dev"})),
        requirements=[
            ApprovalRequirement(
                rule="bench", count=count, approver_groups=frozenset({"sre"}), ttl_seconds=3600
            )
        ],
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )


def worker(
    *, workload: str, url: str, prefix: str, run: str, procs: int, process: int, seconds: float
) -> tuple[int, int, float, float]:
    """Wait until all `procs` workers are connected, then run the workload for `seconds`.
    Returns (pid, ops, start, end) with wall-clock times."""
    client = connect(url, timeout_seconds=10)
    store = RedisApprovalStore(client, prefix=prefix)
    template = _template(10 if workload == "vote" else 1)
    digest = template.digest
    tag = f"{run}-p{process}"
    approval_id = ""
    sre = Ballot(voter=Principal(id="U-sre", groups=frozenset({"sre"})), approve=True, at_us=1)
    report = ExecutionReport(plan_digest=digest)
    client.incr(f"{prefix}:ready:{run}")
    give_up = time.time() + 60
    while int(client.get(f"{prefix}:ready:{run}") or 0) < procs:  # start barrier
        if time.time() > give_up:
            raise RuntimeError(f"only some of the {procs} workers reached the start barrier")
        time.sleep(0.002)
    now = datetime.now(UTC)
    ops = 0
    began = time.time()
    deadline = began + seconds
    while time.time() < deadline:
        if workload == "set":
            client.set(f"{prefix}:set:{tag}:{ops}", "x", ex=60)
        elif workload == "vote":
            if ops % VOTES_PER_APPROVAL == 0:  # a fresh approval every 9 votes (it needs 10)
                approval_id = f"{tag}-{ops}"
                store.create(template.model_copy(update={"id": approval_id}))
            ballot = Ballot(voter=Principal(id=f"U{ops}"), approve=True, at_us=ops + 1)
            store.record_ballot(approval_id, ballot=ballot, digest=digest, now=now)
        else:
            approval_id = f"{tag}-{ops}"
            store.create(template.model_copy(update={"id": approval_id}))
            store.record_ballot(approval_id, ballot=sre, digest=digest, now=now)
            counted = count_and_start(
                store,
                approval_id,
                requirements=template.requirements,
                current=lambda principal: principal,
                by="U-sre",
                now=now,
            )
            if counted.outcome.result is not VoteResult.EXECUTE:
                raise RuntimeError(f"expected execute, got {counted.outcome}")
            store.finish(approval_id, state=ApprovalState.DONE, report=report)
        ops += 1
    ended = time.time()
    client.close()
    return os.getpid(), ops, began, ended


def _warm_up() -> int:
    time.sleep(0.3)
    return os.getpid()


def _measure(
    pool: ProcessPoolExecutor, *, workload: str, procs: int, url: str, prefix: str, seconds: float
) -> float:
    """Aggregate ops/s of `procs` processes running `workload` at the same time."""
    run = uuid.uuid4().hex[:8]
    futures = [
        pool.submit(
            worker,
            workload=workload,
            url=url,
            prefix=prefix,
            run=run,
            procs=procs,
            process=p,
            seconds=seconds,
        )
        for p in range(procs)
    ]
    results = [f.result(timeout=120) for f in futures]
    if len({pid for pid, *_ in results}) != procs:
        raise RuntimeError(f"expected {procs} distinct processes, got {results}")
    span = max(end for *_, end in results) - min(start for *_, start, _ in results)
    return sum(ops for _, ops, _, _ in results) / span


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="timed run per workload and N")
    parser.add_argument("--procs", default="1,2,4,8", help="comma-separated process counts")
    args = parser.parse_args()
    counts = [int(n) for n in args.procs.split(",")]

    started = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="opsbot-bench-")
    server, url = redis_for_bench(tmp)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    admin = redis.Redis.from_url(url, decode_responses=True)
    info = admin.info("server")
    print(
        f"redis {info['redis_version']} at {url.split('@')[-1]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, {args.seconds:.1f} s per cell"
    )
    rows: list[tuple[int, float, float, float]] = []
    try:
        with ProcessPoolExecutor(max_workers=max(counts), mp_context=get_context("spawn")) as pool:
            for future in [pool.submit(_warm_up) for _ in range(max(counts))]:
                future.result(timeout=120)
            for n in counts:
                kw = {"procs": n, "url": url, "prefix": prefix, "seconds": args.seconds}
                baseline = _measure(pool, workload="set", **kw)  # type: ignore[arg-type]
                votes = _measure(pool, workload="vote", **kw)  # type: ignore[arg-type]
                executions = _measure(pool, workload="execute", **kw)  # type: ignore[arg-type]
                rows.append((n, baseline, votes, executions))
    finally:
        if server is None:  # someone else's Redis: remove what this run wrote
            batch: list[str] = []
            for key in admin.scan_iter(f"{prefix}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    admin.unlink(*batch)
                    batch.clear()
            if batch:
                admin.unlink(*batch)
        admin.close()
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n{'procs':>5} {'SET/s':>9} {'votes/s':>9} {'vote/SET':>9} {'execs/s':>9} {'exec/SET':>9}"
    )
    for n, baseline, votes, executions in rows:
        print(
            f"{n:>5} {baseline:>9.0f} {votes:>9.0f} {votes / baseline:>9.2f} "
            f"{executions:>9.0f} {executions / baseline:>9.2f}"
        )
    print(
        f"\ntotal {time.perf_counter() - started:.1f} s "
        "(execs: create + ballot + count and start + finish)"
    )


if __name__ == "__main__":
    main()
