"""Ack latency of the Slack HTTP endpoint under 50 concurrent signed requests, while the work
behind the acks is done.

Compares `opsbot serve --mode http --workers N` (its receiver records each request in the
Redis work queue and acks; N worker processes answer them through the fake Slack Web API,
which runs in its own low-priority process standing in for Slack's servers) with a bare Bolt
app whose listeners only ack, served two ways (bench/bare_bolt.py): on a thread-per-connection
http.server, and on opsbot's own aiohttp front. Each app in its own process, the client in
another; the apps are measured in interleaved rounds. Prints median and p99 per app, kind and
round, the ratios (median over rounds), and checks that opsbot answered every request.

    uv run python bench/bench_slack_ack.py [--requests 500] [--rounds 3] [--workers 2]

Starts its own redis-server on 127.0.0.1 (or uses REDIS_URL under a throwaway key prefix).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk.signature import SignatureVerifier

from bench.fake_slack_process import FakeSlackProcess
from bench.local_redis import redis_for_bench
from bench.slack_replica import SECRET, Sent, signed_bodies, start_replica


def _start_bare(fake: FakeSlackProcess, front: str) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "bare_bolt.py"), front, fake.api_url,
         fake.bot_token],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def _measure(url: str, sent: list[Sent], concurrency: int) -> list[float]:
    """Ack latencies (ms) of `sent`, measured by a client in its own process: the fake Slack
    API in this process answers the workers' calls meanwhile and must not slow the client."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump([[s.body.decode(), s.content_type] for s in sent], file)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--send", url, file.name, str(concurrency)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        os.unlink(file.name)
    if out.returncode != 0:
        raise SystemExit(out.stderr or out.stdout)
    latencies: list[float] = json.loads(out.stdout)
    return latencies


def _send(url: str, path: str, concurrency: int) -> int:
    """Child process: send the requests in `path`, print their ack latencies as JSON."""
    with open(path) as file:
        sent = [Sent(body.encode(), ctype, "") for body, ctype in json.load(file)]
    print(json.dumps(_send_all(url, sent, concurrency)))
    return 0


def _send_all(url: str, sent: list[Sent], concurrency: int) -> list[float]:
    verifier = SignatureVerifier(SECRET)
    parts = urlsplit(url)
    local = threading.local()
    errors: list[int] = []

    def send(item: Sent) -> float:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": item.content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=item.body),
        }
        started = time.perf_counter()
        conn.request("POST", parts.path, body=item.body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            errors.append(response.status)
        return elapsed * 1000

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(send, sent))
    if errors:
        raise SystemExit(f"{len(errors)} requests were not acknowledged: {errors[:5]}")
    return latencies


Rows = dict[tuple[str, str], list[list[float]]]


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _wait_replies(fake: FakeSlackProcess, count: int, *, timeout: float) -> None:
    fake.wait_for_count("chat.postMessage", count, timeout=timeout)


BARE = {"threaded": "bare Bolt, threaded", "aiohttp": "bare Bolt, aiohttp"}


def _bare_round(
    fake: FakeSlackProcess, front: str, args: argparse.Namespace, results: Rows
) -> None:
    child, url = _start_bare(fake, front)
    try:
        for kind in ("mention", "/ops"):
            _measure(url, signed_bodies(fake, kind, 50), args.concurrency)  # warm-up
            sent = signed_bodies(fake, kind, args.requests)
            results.setdefault((BARE[front], kind), []).append(
                _measure(url, sent, args.concurrency)
            )
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per app, kind and round")
    parser.add_argument("--rounds", type=int, default=3, help="each app measured this often")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="opsbot worker processes")
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--worker-nice", type=int, help="default: opsbot's OPSBOT_WORKER_NICE")
    parser.add_argument("--send", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        return _send(args.send[0], args.send[1], int(args.send[2]))
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="opsbot-bench-")
    server, redis_url = redis_for_bench(tmp)
    fake = FakeSlackProcess()
    fake.add_user("UDEV1", name="dave", groups=("dev",))
    results: Rows = {}
    drained: list[float] = []
    expected = 0
    try:
        for _ in range(args.rounds):  # interleaved, so drift in the machine's load hits all
            for front in BARE:
                _bare_round(fake, front, args, results)
            replica = start_replica(
                fake,
                redis_url=redis_url,
                prefix=f"bench{uuid.uuid4().hex[:8]}",
                workdir=Path(tmp),
                workers=args.workers,
                threads=args.worker_threads,
                worker_nice=args.worker_nice,
            )
            try:
                for kind in ("mention", "/ops"):
                    _measure(replica.url, signed_bodies(fake, kind, 50), args.concurrency)
                    expected += 50
                    _wait_replies(fake, expected, timeout=120)
                    sent = signed_bodies(fake, kind, args.requests)
                    results.setdefault(("opsbot", kind), []).append(
                        _measure(replica.url, sent, args.concurrency)
                    )
                    acked = time.monotonic()
                    expected += args.requests
                    _wait_replies(fake, expected, timeout=300)
                    drained.append(time.monotonic() - acked)
            finally:
                replica.stop()
    finally:
        fake.stop()
        if server is not None:
            server.terminate()
            server.wait(10)
    print(
        f"Slack ack latency: {args.requests} signed requests per row and round, {args.rounds} "
        f"rounds, {args.concurrency} concurrent, loopback HTTP, {os.cpu_count()} CPUs, load "
        f"average {os.getloadavg()[0]:.1f}; opsbot: `serve --mode http --workers "
        f"{args.workers}` ({args.worker_threads} threads each), work queue on redis-server"
    )
    print(f"{'app':<22} {'kind':<8} {'median ms (per round)':>28} {'p99 ms (per round)':>28}")
    for (name, kind), rounds in results.items():
        medians = " ".join(f"{statistics.median(r):7.1f}" for r in rounds)
        p99s = " ".join(f"{_p99(r):7.1f}" for r in rounds)
        print(f"{name:<22} {kind:<8} {medians:>28} {p99s:>28}")
    for label in BARE.values():
        for kind in ("mention", "/ops"):
            ours, bare = results[("opsbot", kind)], results[(label, kind)]
            median = statistics.median(
                statistics.median(o) / statistics.median(b) for o, b in zip(ours, bare, strict=True)
            )
            p99 = statistics.median(_p99(o) / _p99(b) for o, b in zip(ours, bare, strict=True))
            print(
                f"ratio opsbot / {label:<20} {kind:<8} median {median:.2f}x  p99 {p99:.2f}x "
                "(median over rounds)"
            )
    print(
        f"(opsbot answered all {expected} requests; the last reply came at most "
        f"{max(drained):.1f} s after the last ack; total {time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
