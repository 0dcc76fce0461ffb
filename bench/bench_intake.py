"""Intake throughput: signed requests/s from the first request sent to the last first reply,
with 1, 2 and 4 worker processes behind one `opsbot serve --mode http` receiver (Redis work
queue, the fake Slack Web API standing in for Slack), and the request -> first reply latency.

    uv run python bench/bench_intake.py [--requests 400] [--concurrency 50] [--workers 1,2,4]

Every request is a mention `help`, answered in its thread
(no Kubernetes, no Docker: the cost measured is the intake, the service and the Slack calls).
The ratio column is throughput against 1 worker in the same run. Starts its own redis-server on
127.0.0.1 (or uses REDIS_URL under a throwaway key prefix).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fake_slack_process import FakeSlackProcess
from bench.local_redis import redis_for_bench
from bench.slack_replica import CHANNEL, SECRET, Sent, signed_bodies, start_replica
from tests.fakes.slack_api import SlackSender


def _run(
    fake: FakeSlackProcess, url: str, sent: list[Sent], concurrency: int
) -> tuple[float, list[float]]:
    """(requests/s to the last first reply, per-request latency ms to its first reply)."""
    sender = SlackSender(url, signing_secret=SECRET)
    before = fake.count("chat.postMessage")
    sent_at: dict[str, float] = {}

    def send(item: Sent) -> None:
        sent_at[item.key] = time.monotonic()
        status, _ = sender.post(item.body, content_type=item.content_type)
        if status != 200:
            raise SystemExit(f"a request was not acknowledged: HTTP {status}")

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, sent))
    fake.wait_for_count("chat.postMessage", before + len(sent), timeout=600)
    first: dict[str, float] = {}
    for call in fake.calls("chat.postMessage", since=before):
        key = call["args"].get("thread_ts")
        if key in sent_at and key not in first and call["args"].get("channel") == CHANNEL:
            first[key] = call["at"]
    if len(first) != len(sent):
        raise SystemExit(f"{len(sent) - len(first)} requests got no reply in their thread")
    latencies = [(first[key] - sent_at[key]) * 1000 for key in first]
    return len(sent) / (max(first.values()) - began), latencies


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated process counts")
    parser.add_argument("--worker-threads", type=int, default=4)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="opsbot-bench-")
    server, redis_url = redis_for_bench(tmp)
    fake = FakeSlackProcess()
    fake.add_user("UDEV1", name="dave", groups=("dev",))
    rows: list[tuple[int, float, list[float]]] = []
    try:
        for workers in counts:
            replica = start_replica(
                fake,
                redis_url=redis_url,
                prefix=f"bench{uuid.uuid4().hex[:8]}",
                workdir=Path(tmp),
                workers=workers,
                threads=args.worker_threads,
            )
            try:
                _run(fake, replica.url, signed_bodies(fake, "mention", 40), args.concurrency)
                sent = signed_bodies(fake, "mention", args.requests)
                rate, latencies = _run(fake, replica.url, sent, args.concurrency)
                rows.append((workers, rate, latencies))
            finally:
                replica.stop()
    finally:
        fake.stop()
        if server is not None:
            server.terminate()
            server.wait(10)
    print(
        f"Intake: {args.requests} signed mentions, {args.concurrency} concurrent, one receiver, "
        f"{args.worker_threads} threads per worker process; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'workers':>7} {'req/s':>8} {'ratio':>6} {'median ms':>10} {'p99 ms':>8}")
    base = rows[0][1]
    for workers, rate, latencies in rows:
        print(
            f"{workers:>7} {rate:>8.1f} {rate / base:>5.2f}x "
            f"{statistics.median(latencies):>10.1f} {_p99(latencies):>8.1f}"
        )
    print(f"(every request answered once in its thread; total {time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
