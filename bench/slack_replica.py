"""Start `opsbot serve --mode http` as its own OS process (receiver + worker processes) against
the fake Slack Web API and a Redis, for the Slack benches; and the signed requests they send."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.fake_slack_process import FakeSlackProcess
from tests.fakes.slack_api import command_payload, event_body, mention

SECRET = "bench-signing-secret"
CHANNEL = "C0OPS"
POLICY = """
grants:
  - {name: everyone, users: ["*"], actions: ["*"]}
approvals:
  - {name: sre, actions: [write, destructive], approver_groups: [sre]}
"""


@dataclass
class Replica:
    proc: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def start_replica(
    fake: FakeSlackProcess,
    *,
    redis_url: str,
    prefix: str,
    workdir: Path,
    workers: int,
    threads: int,
    worker_nice: int | None = None,
) -> Replica:
    """`opsbot serve --mode http --workers N --worker-threads T`, kube and docker off."""
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SECRET,
        OPSBOT_SLACK_API_URL=fake.api_url,
        REDIS_URL=redis_url,
        OPSBOT_KEY_PREFIX=prefix,
        OPSBOT_POLICY_PATH=str(policy),
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_DOCKER_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
        OPSBOT_REQUEST_RATE_LIMIT_PER_MINUTE="10000",
        OPSBOT_LOG_LEVEL="ERROR",
    )
    if worker_nice is not None:
        env["OPSBOT_WORKER_NICE"] = str(worker_nice)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0",
         "--workers", str(workers), "--worker-threads", str(threads)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/slack/events", line)
    if found is None:
        proc.kill()
        raise SystemExit(f"opsbot serve did not start: {line!r}")
    return Replica(proc=proc, url=found.group(0))


def signed_bodies(fake: FakeSlackProcess, kind: str, n: int, *, text: str = "help") -> list[Sent]:
    """`n` requests of `kind` ("mention" | "/ops"), each with a key that finds its reply."""
    out: list[Sent] = []
    for i in range(n):
        if kind == "mention":
            ts = f"{time.time():.6f}{i:04d}"
            event = mention(user="UDEV1", channel=CHANNEL, text=text, ts=ts)
            out.append(Sent(json.dumps(event_body(event)).encode(), "application/json", ts))
        else:
            form = command_payload(text=f"{text} {i}", user="UDEV1", channel=CHANNEL)
            body = urlencode(form).encode()
            out.append(Sent(body, "application/x-www-form-urlencoded", f"/ops {text} {i}"))
    # real messages the bot may put its :eyes: on
    fake.user_says_all(CHANNEL, [s.key for s in out if kind == "mention"])
    return out


@dataclass(frozen=True)
class Sent:
    body: bytes
    content_type: str
    key: str  # a mention's ts (its thread), or a command's shown text
