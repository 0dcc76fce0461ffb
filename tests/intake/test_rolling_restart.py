"""Zero loss across a rolling restart and a killed worker: two replica OS processes
(`opsbot serve --mode http --workers 1`) on one Redis and key prefix, the fake Slack, real
dockerd. Every request is answered exactly once and no plan is pending twice."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.approvals.redis_store import RedisApprovalStore
from bot.redis_url import connect
from tests.fakes.slack_api import FakeSlack, SlackSender, command_payload, event_body, mention
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.slack_fake import CHANNEL, SIGNING_SECRET, group_map_of, text_of, write_policy

CLAIM_AFTER = 3
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0"]


@dataclass
class Replica:
    proc: subprocess.Popen[str]
    sender: SlackSender
    workers: list[int]


def _start(env: dict[str, str]) -> Replica:
    proc = subprocess.Popen(
        [*SERVE, "--workers", "1", "--worker-threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/slack/events", line)
    pids = re.search(r"workers: ([\d,]+)", line)
    if url is None or pids is None:
        proc.kill()
        raise AssertionError(f"replica did not start: {line!r}")
    return Replica(
        proc=proc,
        sender=SlackSender(url.group(0), signing_secret=SIGNING_SECRET),
        workers=[int(p) for p in pids.group(1).split(",")],
    )


@pytest.fixture
def prefix() -> str:
    return f"roll{uuid.uuid4().hex[:10]}"


@pytest.fixture
def replicas(
    fake_slack: FakeSlack, redis_url: str, docker_host: str, tmp_path: Path, prefix: str
) -> Iterator[list[Replica]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OPSBOT_SLACK_API_URL=fake_slack.api_url,
        REDIS_URL=redis_url,
        OPSBOT_KEY_PREFIX=prefix,
        OPSBOT_POLICY_PATH=str(write_policy(tmp_path / "policy.yaml", count=1)),
        OPSBOT_DOCKER_HOSTS=json.dumps({"default": docker_host}),
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
        OPSBOT_SLACK_GROUP_MAP=json.dumps(group_map_of(fake_slack)),
        OPSBOT_INTAKE_CLAIM_AFTER_SECONDS=str(CLAIM_AFTER),
        OPSBOT_SHUTDOWN_GRACE_SECONDS="20",
        OPSBOT_REQUEST_RATE_LIMIT_PER_MINUTE="10000",
    )
    started = [_start(env) for _ in range(2)]
    try:
        yield started
    finally:
        for r in started:
            if r.proc.poll() is None:
                r.proc.terminate()
        for r in started:
            r.proc.wait(timeout=60)


@dataclass
class Sent:
    """One request as Slack sends it; `key` finds its answers in the fake."""

    kind: str  # "mention" | "command"
    body: bytes
    content_type: str
    key: str


def _requests(count: int, writes: dict[str, str]) -> list[Sent]:
    sent: list[Sent] = []
    write_users = list(writes)
    for n in range(count):
        if n % 4 == 3:  # /ops with a unique text, answered in the channel
            form = command_payload(
                text=f"zz-{n}-{uuid.uuid4().hex[:6]}", user="UDEV1", channel=CHANNEL
            )
            sent.append(
                Sent(
                    "command",
                    urlencode(form).encode(),
                    "application/x-www-form-urlencoded",
                    f"/ops {form['text']}",
                )
            )
            continue
        if n % 25 == 0 and write_users:  # a write that goes to approval
            user = write_users.pop()
            ask = mention(
                user=user, channel=CHANNEL, text=writes[user], ts=f"{time.time():.6f}{n:03d}"
            )
        else:
            ask = mention(
                user="UDEV2", channel=CHANNEL, text="help", ts=f"{time.time():.6f}{n:03d}"
            )
        sent.append(
            Sent("mention", json.dumps(event_body(ask)).encode(), "application/json", ask["ts"])
        )
    return sent


def _deliver(item: Sent, first: SlackSender, other: SlackSender) -> None:
    """Send to `first`; what it does not ack (refused connection, reset, non-2xx) is sent
    again, as Slack retries, to the other replica (same event id)."""
    for target in (first, other, other, other):
        try:
            status, _ = target.post(item.body, content_type=item.content_type)
        except OSError:
            continue
        if status == 200:
            return
    raise AssertionError(f"no replica acked {item.key}")


def _answers(fake: FakeSlack, item: Sent) -> list[Any]:
    with fake._lock:
        messages = [m for m in fake.messages if m.ephemeral_for is None]
    if item.kind == "mention":
        return [m for m in messages if m.thread_ts == item.key]
    return [m for m in messages if m.thread_ts is None and item.key in text_of(m)]


@pytest.mark.e2e
def test_rolling_restart_answers_every_request_exactly_once(
    fake_slack: FakeSlack,
    replicas: list[Replica],
    containers: ContainerFactory,
    redis_url: str,
    prefix: str,
) -> None:
    a, b = replicas
    web = [containers.run(f"web{n}") for n in range(8)]
    writes = {
        user: f"docker restart {web[i].name}"
        for i, user in enumerate(["UDEV1", "USRE1", "UDEV2", "USRE2"])
    }
    items = _requests(200, writes)
    for item in items:
        if item.kind == "mention":
            fake_slack.user_says(CHANNEL, item.key)

    terminated = threading.Event()

    def send(index_item: tuple[int, Sent]) -> None:
        index, item = index_item
        if index == 60:
            a.proc.send_signal(signal.SIGTERM)  # mid-flight
            terminated.set()
        first, other = (a.sender, b.sender) if index % 2 == 0 else (b.sender, a.sender)
        _deliver(item, first, other)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, enumerate(items)))
    assert terminated.is_set()
    assert a.proc.wait(timeout=60) == 0  # drained and exited cleanly

    def unanswered() -> list[str]:
        return [item.key for item in items if not _answers(fake_slack, item)]

    fake_slack.wait_for(lambda: not unanswered(), timeout=180, what="an answer to every request")
    time.sleep(CLAIM_AFTER + 2)  # a (wrong) second answer from a takeover would show by now
    twice = {
        item.key: len(_answers(fake_slack, item))
        for item in items
        if len(_answers(fake_slack, item)) != 1
    }
    assert twice == {}
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    pending = store.list_pending()
    threads = [p.thread for p in pending]
    assert len(pending) == len(writes)
    assert len(set(threads)) == len(threads)
    previews = [m for m in fake_slack.messages if "*Plan*" in text_of(m)]
    assert len(previews) == len(writes)


@pytest.mark.e2e
def test_a_killed_workers_entry_is_answered_once_by_another(
    fake_slack: FakeSlack, replicas: list[Replica]
) -> None:
    a, _ = replicas
    # the worker has claimed the request and is stuck posting its answer (which never lands)
    fake_slack.delay("chat.postMessage", 30, then_fail="request_timeout")
    ask = mention(user="UDEV2", channel=CHANNEL, text="help")
    fake_slack.user_says(CHANNEL, ask["ts"])
    _, status = a.sender.event(ask)
    assert status == 200
    fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.calls_to("chat.postMessage")
            if c.args.get("thread_ts") == ask["ts"]
        ],
        timeout=20,
        what="a worker holding the request",
    )
    victims = [pid for r in replicas for pid in r.workers]
    for pid in victims:  # the worker holding it is one of them: kill every worker process
        os.kill(pid, signal.SIGKILL)
    reply = fake_slack.wait_for(
        lambda: fake_slack.thread(CHANNEL, ask["ts"]), timeout=60, what="the taken-over reply"
    )
    time.sleep(CLAIM_AFTER + 2)
    assert len(fake_slack.thread(CHANNEL, ask["ts"])) == 1, reply
