"""Ack latency of the Slack HTTP endpoint under 50 concurrent signed requests.

Compares the opsbot Bolt app (listeners ack, then the real OpsService runs in lazy listeners and
posts to a fake Slack Web API) with a bare Bolt app whose listeners only ack, both served by the
same loopback HTTP server in the same run. Prints median and p99 per request kind and the ratios.

    uv run python bench/bench_slack_ack.py [--requests 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.app import build_bot
from bot.adapters.slack.setup import make_web_client
from bot.adapters.slack.transport import HttpTransport
from bot.config import Settings
from bot.wiring import build
from tests.fakes.slack_api import FakeSlack, command_payload, event_body, mention

SECRET = "bench-signing-secret"
POLICY = """
grants:
  - {name: everyone, users: ["*"], actions: ["*"]}
approvals:
  - {name: sre, actions: [write, destructive], approver_groups: [sre]}
"""


def _bare_app(fake: FakeSlack, policy: Path, api_url: str, workers: int) -> App:
    settings = Settings(slack_bot_token=fake.bot_token, slack_api_url=api_url)
    # the same Bolt settings as opsbot, so the ratio is the cost of opsbot's own work
    app = App(client=make_web_client(settings), signing_secret=SECRET, process_before_response=True)

    def ack_only(ack: Ack) -> None:
        ack()

    app.event("app_mention")(ack_only)
    app.command("/ops")(ack_only)
    return app


def _opsbot_app(fake: FakeSlack, policy: Path, api_url: str, workers: int) -> App:
    settings = Settings(
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        policy_path=policy,
        kube_disabled=True,
        docker_disabled=True,
        redis_url=None,
    )
    service = build(settings).service
    return build_bot(service=service, settings=settings, workers=workers).app


def _bodies(kind: str, n: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        if kind == "mention":
            event = mention(user="UDEV1", channel="C0OPS", text="help", ts=f"{1e9 + i:.6f}")
            out.append((json.dumps(event_body(event)).encode(), "application/json"))
        else:
            form = command_payload(text="help", user="UDEV1", channel="C0OPS")
            out.append((urlencode(form).encode(), "application/x-www-form-urlencoded"))
    return out


def _measure(url: str, bodies: list[tuple[bytes, str]], concurrency: int) -> list[float]:
    verifier = SignatureVerifier(SECRET)
    parts = urlsplit(url)
    local = threading.local()
    errors: list[int] = []

    def send(item: tuple[bytes, str]) -> float:
        body, ctype = item
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": ctype,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        started = time.perf_counter()
        conn.request("POST", parts.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            errors.append(response.status)
        return elapsed * 1000

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = list(pool.map(send, bodies))
    if errors:
        raise SystemExit(f"{len(errors)} requests were not acknowledged: {errors[:5]}")
    return latencies


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _serve(which: str, slack_api_url: str, bot_token: str, workers: int) -> int:
    """Child process: serve one app on a free loopback port, print its URL, run until killed."""
    fake_like = FakeSlack(bot_token=bot_token)  # only its token/URL are used, never started
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "policy.yaml"
        policy.write_text(POLICY)
        app = (_bare_app if which == "bare" else _opsbot_app)(
            fake_like, policy, slack_api_url, workers
        )
        server = HttpTransport(app, signing_secret=SECRET, port=0)
        server.start()
        print(server.where, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        server.stop()
    return 0


def _start_child(which: str, fake: FakeSlack, workers: int) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            which,
            "--slack-url",
            fake.api_url,
            "--workers",
            str(workers),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def _drain(fake: FakeSlack, expected: int, timeout: float = 30.0) -> None:
    """Wait until the app's background work (thread replies) has caught up."""
    fake.wait_for(
        lambda: len(fake.calls_to("chat.postMessage")) >= expected,
        timeout=timeout,
        what=f"{expected} thread replies",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per app and request kind")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16, help="opsbot's lazy listener threads")
    parser.add_argument("--serve", choices=("bare", "opsbot"), help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve(args.serve, args.slack_url, FakeSlack().bot_token, args.workers)
    started = time.monotonic()
    fake = FakeSlack().start()
    fake.add_user("UDEV1", name="dave", groups=("dev",))
    results: dict[tuple[str, str], list[float]] = {}
    replies = 0
    try:
        for name, which in (("bare Bolt", "bare"), ("opsbot", "opsbot")):
            child, url = _start_child(which, fake, args.workers)
            try:
                for kind in ("mention", "/ops"):
                    _measure(url, _bodies(kind, 50), args.concurrency)  # warm-up
                    if which == "opsbot":
                        replies += 50
                        _drain(fake, replies)
                    results[(name, kind)] = _measure(
                        url, _bodies(kind, args.requests), args.concurrency
                    )
                    if which == "opsbot":
                        replies += args.requests
                        _drain(fake, replies)
            finally:
                assert child.stdin is not None
                child.stdin.close()
                child.wait(timeout=10)
    finally:
        fake.stop()
    print(
        f"Slack ack latency: {args.requests} signed requests per row, {args.concurrency} "
        "concurrent, loopback HTTP, each app in its own process"
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
        f"(opsbot posted all {replies} thread replies after acking; "
        f"total {time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
