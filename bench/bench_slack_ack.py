"""Ack latency of the Slack HTTP endpoint under 50 concurrent signed requests, while the work
behind the acks is done.

Compares `opsbot serve --mode http --workers N` (its receiver records each request in the
Redis work queue and acks; N worker processes answer them through the fake Slack Web API) with
a bare Bolt app whose listeners only ack, served by the same loopback HTTP server in the same
run, each in its own process. Prints median and p99 per request kind and the ratios, and checks
that opsbot answered every request.

    uv run python bench/bench_slack_ack.py [--requests 500] [--concurrency 50] [--workers 2]

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

from slack_bolt import Ack, App
from slack_sdk.signature import SignatureVerifier

from bench.fake_slack_process import FakeSlackProcess
from bench.local_redis import redis_for_bench
from bench.slack_replica import SECRET, Sent, signed_bodies, start_replica
from bot.adapters.slack.setup import make_web_client
from bot.adapters.slack.transport import HttpTransport
from bot.config import Settings
from tests.fakes.slack_api import FakeSlack


def _bare_app(api_url: str, bot_token: str) -> App:
    settings = Settings(slack_bot_token=bot_token, slack_api_url=api_url)
    # the same Bolt settings as opsbot's receiver, so the ratio is the cost of opsbot's own work
    app = App(client=make_web_client(settings), signing_secret=SECRET, process_before_response=True)

    def ack_only(ack: Ack) -> None:
        ack()

    app.event("app_mention")(ack_only)
    app.command("/ops")(ack_only)
    return app


def _serve_bare(slack_api_url: str, bot_token: str) -> int:
    """Child process: serve the bare app on a free loopback port, print its URL, run until
    the parent closes our stdin."""
    server = HttpTransport(_bare_app(slack_api_url, bot_token), signing_secret=SECRET, port=0)
    server.start()
    print(server.where, flush=True)
    sys.stdin.read()
    server.stop()
    return 0


def _start_bare(fake: FakeSlackProcess) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-bare", "--slack-url", fake.api_url],
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


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _wait_replies(fake: FakeSlackProcess, count: int, *, timeout: float) -> None:
    fake.wait_for_count("chat.postMessage", count, timeout=timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per app and request kind")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="opsbot worker processes")
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    parser.add_argument("--send", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        return _send(args.send[0], args.send[1], int(args.send[2]))
    if args.serve_bare:
        return _serve_bare(args.slack_url, FakeSlack().bot_token)
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="opsbot-bench-")
    server, redis_url = redis_for_bench(tmp)
    fake = FakeSlackProcess()
    fake.add_user("UDEV1", name="dave", groups=("dev",))
    results: dict[tuple[str, str], list[float]] = {}
    drained: list[float] = []
    expected = 0
    try:
        child, url = _start_bare(fake)
        try:
            for kind in ("mention", "/ops"):
                _measure(url, signed_bodies(fake, kind, 50), args.concurrency)  # warm-up
                sent = signed_bodies(fake, kind, args.requests)
                results[("bare Bolt", kind)] = _measure(url, sent, args.concurrency)
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=10)
        replica = start_replica(
            fake,
            redis_url=redis_url,
            prefix=f"bench{uuid.uuid4().hex[:8]}",
            workdir=Path(tmp),
            workers=args.workers,
            threads=args.worker_threads,
        )
        try:
            for kind in ("mention", "/ops"):
                _measure(replica.url, signed_bodies(fake, kind, 50), args.concurrency)
                expected += 50
                _wait_replies(fake, expected, timeout=120)
                sent = signed_bodies(fake, kind, args.requests)
                results[("opsbot", kind)] = _measure(replica.url, sent, args.concurrency)
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
        f"Slack ack latency: {args.requests} signed requests per row, {args.concurrency} "
        f"concurrent, loopback HTTP, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; opsbot with {args.workers} worker processes x "
        f"{args.worker_threads} threads"
    )
    print(f"{'app':<10} {'kind':<8} {'median ms':>10} {'p99 ms':>8}")
    for (name, kind), values in results.items():
        print(f"{name:<10} {kind:<8} {statistics.median(values):>10.2f} {_p99(values):>8.2f}")
    for kind in ("mention", "/ops"):
        ours, bare = results[("opsbot", kind)], results[("bare Bolt", kind)]
        print(
            f"ratio opsbot/bare {kind:<8} median "
            f"{statistics.median(ours) / statistics.median(bare):.2f}x  "
            f"p99 {_p99(ours) / _p99(bare):.2f}x"
        )
    print(
        f"(opsbot answered all {expected} requests; the last reply came "
        f"{max(drained):.1f} s after the last ack; total {time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
