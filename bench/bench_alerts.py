"""Alert-to-post latency of the Alertmanager receiver: 1,000 alerts in 100 groups.

Each alert arrives as its group's next version-4 webhook notification (the group's alerts so
far, as Alertmanager re-sends a growing group), POSTed on loopback to the real receiver (its
HTTP server, Redis work queue and workers, the real OpsService and SlackAlertSink posting to a fake
Slack Web API). An alert's latency runs from the start of its POST to the moment its group's
Slack message (posted or updated) first counts it. The baseline, in the same run, is the
receiver's bare HTTP 200 time (auth, parse, record in Redis). Prints median and p99 and the
ratio. Needs a Redis: --redis-url, else OPSBOT_TEST_REDIS_URL or REDIS_URL.

    uv run python bench/bench_alerts.py [--alerts 1000] [--groups 100] [--senders 10] [--rate 0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.slack.alert_sink import SlackAlertSink
from bot.adapters.slack.app import build_bot
from bot.config import Settings
from bot.receivers.alertmanager.server import start_receiver
from bot.receivers.alertmanager.setup import build_receiver
from bot.receivers.alertmanager.sink import AlertGroupView, AlertSink, EvidenceItem
from bot.redis_url import connect
from bot.replies import Reply
from bot.wiring import build
from tests.fakes.slack_api import FakeSlack

TOKEN = "bench-alerts-token"
POLICY = "grants:\n  - {name: everyone, users: ['*'], actions: [read]}\n"
ROUTING = "routes: []\nunrouted: default\ndefault_channel: C0ALERTS\n"


class TimedSink:
    """The real Slack sink, noting when each group's message first counts N firing alerts."""

    def __init__(self, inner: AlertSink) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.counted: dict[tuple[str, int], float] = {}  # (group title, firing) -> time

    def _note(self, view: AlertGroupView) -> None:
        now = time.perf_counter()
        with self.lock:
            for n in range(1, view.firing + 1):
                self.counted.setdefault((view.title, n), now)

    def post_group(self, channel: str, view: AlertGroupView) -> str:
        ts = self.inner.post_group(channel, view)
        self._note(view)
        return ts

    def update_group(self, channel: str, ts: str, view: AlertGroupView) -> None:
        self.inner.update_group(channel, ts, view)
        self._note(view)

    def post_evidence(self, channel: str, thread_ts: str, items: list[EvidenceItem]) -> None:
        self.inner.post_evidence(channel, thread_ts, items)

    def post_note(self, channel: str, thread_ts: str, text: str) -> None:
        self.inner.post_note(channel, thread_ts, text)

    def post_reply(self, reply: Reply, *, channel: str, thread_ts: str) -> str:
        return self.inner.post_reply(reply, channel=channel, thread_ts=thread_ts)

    def mark_fix_unneeded(self, channel: str, ts: str, note: str) -> None:
        self.inner.mark_fix_unneeded(channel, ts, note)


def _notification(run: str, group: int, upto: int) -> bytes:
    """Group `group`'s notification holding its alerts 0..upto (all firing)."""
    name = f"BenchAlert{group:03d}"
    started = datetime(2026, 11, 29, 9, 0, tzinfo=UTC).isoformat()
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": name, "instance": f"host-{i}", "severity": "warning"},
            "annotations": {"summary": f"bench alert {i} of group {group}"},
            "startsAt": started,
            "fingerprint": f"{run}{group:03d}{i:04d}",
        }
        for i in range(upto + 1)
    ]
    return json.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{name}",run="{run}"}}',
            "status": "firing",
            "receiver": "opsbot",
            "groupLabels": {"alertname": name},
            "commonLabels": {"alertname": name, "severity": "warning"},
            "alerts": alerts,
        }
    ).encode()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--senders", type=int, default=10, help="concurrent POST loops")
    parser.add_argument("--workers", type=int, default=2, help="receiver workers (serve: 2)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="notifications per second overall; 0: a burst"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("OPSBOT_TEST_REDIS_URL") or os.environ.get("REDIS_URL"),
    )
    args = parser.parse_args()
    if not args.redis_url:
        raise SystemExit("a Redis is needed: --redis-url redis://127.0.0.1:6379/0")
    per_group = args.alerts // args.groups
    run = uuid.uuid4().hex[:8]
    fake = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "policy.yaml").write_text(POLICY)
        (folder / "routing.yaml").write_text(ROUTING)
        settings = Settings(
            slack_bot_token=fake.bot_token,
            slack_api_url=fake.api_url,
            policy_path=folder / "policy.yaml",
            kube_disabled=True,
            docker_disabled=True,
            redis_url=args.redis_url,
            key_prefix=f"bench-alerts-{run}",
            alerts_routing=folder / "routing.yaml",
            alerts_token=TOKEN,
        )
        wired = build(settings)
        bot = build_bot(service=wired.service, settings=settings)
        sink = TimedSink(SlackAlertSink(bot.frontend))
        receiver = build_receiver(
            settings, service=wired.service, sink=sink, redis_client=connect(args.redis_url)
        )
        server = start_receiver(receiver, host="127.0.0.1", port=0, workers=args.workers)
        parts = urlsplit(server.url)
        local = threading.local()
        sent: dict[tuple[str, int], float] = {}
        acks: list[float] = []
        lock = threading.Lock()

        def send_group(group: int) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, 30)
            for i in range(per_group):
                if args.rate > 0:
                    local.n = getattr(local, "n", 0) + 1
                    due = began + local.n * args.senders / args.rate
                    time.sleep(max(0.0, due - time.perf_counter()))
                body = _notification(run, group, i)
                headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
                started = time.perf_counter()
                conn.request("POST", parts.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                acked = time.perf_counter()
                if response.status != 200:
                    raise SystemExit(f"the receiver answered {response.status}")
                with lock:
                    sent[(f"BenchAlert{group:03d}", i + 1)] = started
                    acks.append((acked - started) * 1000)

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.senders) as pool:
            list(pool.map(send_group, range(args.groups)))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sink.lock:
                if all(key in sink.counted for key in sent):
                    break
            time.sleep(0.05)
        took = time.perf_counter() - began
        server.stop()
        fake.stop()
    missing = [k for k in sent if k not in sink.counted]
    if missing:
        raise SystemExit(f"{len(missing)} alerts never reached Slack, e.g. {missing[:3]}")
    latencies = [(sink.counted[k] - started) * 1000 for k, started in sent.items()]
    posts = {m.ts for m in fake.messages}
    ack = {"median": round(statistics.median(acks), 2), "p99": round(_p99(acks), 2)}
    post = {"median": round(statistics.median(latencies), 2), "p99": round(_p99(latencies), 2)}
    result: dict[str, Any] = {
        "alerts": len(sent),
        "groups": args.groups,
        "senders": args.senders,
        "workers": args.workers,
        "rate": args.rate or "burst",
        "slack_messages": len(posts),
        "seconds": round(took, 2),
        "ack_ms": ack,
        "alert_to_post_ms": post,
        "ratio_median": round(post["median"] / ack["median"], 1),
        "ratio_p99": round(post["p99"] / ack["p99"], 1),
    }
    print(
        f"{len(sent)} alerts in {args.groups} groups ({args.senders} senders, "
        f"{args.workers} workers, {args.rate or 'burst'}/s), {took:.2f} s, "
        f"{len(posts)} Slack messages"
    )
    print(f"  POST -> 200 (baseline)  median {ack['median']:8.2f} ms  p99 {ack['p99']:8.2f} ms")
    print(f"  alert -> Slack post     median {post['median']:8.2f} ms  p99 {post['p99']:8.2f} ms")
    print(f"  ratio post/ack          median {result['ratio_median']}x  p99 {result['ratio_p99']}x")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
