"""Failover time: the master (Sentinel) or the slot's master (Cluster) is SIGKILLed; how long
until the same store client's next vote succeeds (recorded and counted on the new master).

    uv run python bench/bench_redis_failover.py [--runs 3]

Starts real processes on 127.0.0.1 with the test fixtures (tests/fixtures/redis_ha.py):
Sentinel = 1 master + 2 replicas + 3 sentinels (down-after-milliseconds 1000, failover-timeout
3000); Cluster = 3 masters + 3 replicas (cluster-node-timeout 1000). With one replica per
master the killed node is restarted once the replica is promoted (as an orchestrator would),
because a start must be acknowledged by a replica (OPSBOT_REDIS_ACK_REPLICAS=1): the vote
measured here is a recorded ballot that does not yet start the plan, and a second number is
the time until a vote that STARTS a plan succeeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.approvals import RedisApprovalStore, VoteResult
from tests.approvals.failover import Tally, create_approvals, retrying, vote_once
from tests.fixtures.redis_ha import start_cluster, start_sentinel_setup


def _measure(store: RedisApprovalStore, kill: object) -> tuple[float, float]:
    """(s to the first recorded vote, s to the first vote that starts a plan) after the kill."""
    assert callable(kill)
    recorded, started = (
        create_approvals(store, 1, votes=2)[0],
        create_approvals(store, 1, votes=1)[0],
    )
    killed_at = time.monotonic()
    kill()
    outcome = retrying(lambda: vote_once(store, recorded, "U-bench"), Tally())
    assert outcome.result is VoteResult.RECORDED, outcome
    first = time.monotonic() - killed_at
    outcome = retrying(lambda: vote_once(store, started, "U-bench"), Tally())
    assert outcome.result is VoteResult.EXECUTE, outcome
    return first, time.monotonic() - killed_at


def sentinel_run(folder: Path) -> tuple[float, float]:
    setup = start_sentinel_setup(folder)
    try:
        store = RedisApprovalStore.from_url(setup.url, prefix=f"b{uuid.uuid4().hex[:8]}")
        return _measure(store, setup.kill_master)
    finally:
        setup.stop()


def cluster_run(folder: Path) -> tuple[float, float]:
    setup = start_cluster(folder)
    try:
        prefix = f"b{uuid.uuid4().hex[:8]}"
        store = RedisApprovalStore.from_url(setup.url, prefix=prefix)
        pending = f"{{{prefix}}}:pending"
        old = setup.master_of(pending)

        def rejoin() -> None:
            setup.wait_for_new_master(pending, old)
            old.restart()

        def kill() -> None:
            setup.kill_master_of(pending)
            threading.Thread(target=rejoin, daemon=True).start()

        return _measure(store, kill)
    finally:
        setup.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    for name, run in (("sentinel", sentinel_run), ("cluster", cluster_run)):
        firsts, starts = [], []
        for i in range(runs):
            with tempfile.TemporaryDirectory(prefix=f"opsbot-fo-{name}-") as tmp:
                first, start = run(Path(tmp))
            firsts.append(first)
            starts.append(start)
            print(f"{name} run {i + 1}: first vote {first:.2f} s, first start {start:.2f} s")
        median = statistics.median(firsts)
        print(
            f"{name}: master killed -> first successful vote median {median:.2f} s"
            f" (max {max(firsts):.2f}); -> first plan started median "
            f"{statistics.median(starts):.2f} s (max {max(starts):.2f})"
        )


if __name__ == "__main__":
    main()
