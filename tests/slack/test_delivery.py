"""Slack's delivery semantics: retried events, several replicas on one Redis, and 429s."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.fakes.slack_api import FakeSlack, SlackSender, mention, reaction
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.slack_fake import (
    CHANNEL,
    SIGNING_SECRET,
    SlackHarness,
    group_map_of,
    slack_settings,
    text_of,
    write_policy,
)


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_a_retried_event_produces_one_preview(
    mode: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    containers: ContainerFactory,
    docker_slack_settings: Callable[..., Settings],
) -> None:
    web = containers.run("web")
    settings = docker_slack_settings()
    h = slack_harness(settings, mode=mode)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker restart {web.name}")
    event_id = h.send_event(ask)
    h.send_event(ask, event_id=event_id, retry_num=1)
    h.send_event(ask, event_id=event_id, retry_num=2)
    h.wait_preview(ask["ts"])
    time.sleep(0.5)  # give a (wrong) second preview time to appear
    in_thread = [m for m in fake_slack.messages if m.thread_ts == ask["ts"]]
    assert len(in_thread) == 1, [m.text for m in in_thread]


def test_slack_429_is_retried_after_retry_after(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness], redis_url: str
) -> None:
    h = slack_harness(slack_settings(fake_slack, redis_url=redis_url), mode="http")
    fake_slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    ask = mention(user="UDEV1", channel=CHANNEL, text="help")
    h.send_event(ask)
    reply = h.wait_message(lambda m: m.thread_ts == ask["ts"], what="reply after the 429")
    assert "scale" in text_of(reply)  # the help text
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2
    assert posts[1].at - posts[0].at >= 0.95  # waited for Retry-After: 1


def test_a_slack_error_answer_is_logged_not_fatal(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness], redis_url: str
) -> None:
    """Slack answers errors with HTTP 200 and ok=false; the bot keeps serving afterwards."""
    h = slack_harness(slack_settings(fake_slack, redis_url=redis_url), mode="http")
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    first = mention(user="UDEV1", channel=CHANNEL, text="help")
    h.send_event(first)
    fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage"), what="failed post")
    second = mention(user="UDEV1", channel=CHANNEL, text="help")
    h.send_event(second)
    h.wait_message(lambda m: m.thread_ts == second["ts"], what="the next reply")
    assert fake_slack.thread(CHANNEL, first["ts"]) == []


# ------------------------------------------------------------------------- two bot processes
def _start_bot(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, ""


def _url_of(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/slack/events", line)
    if match is None:
        proc.kill()
        raise AssertionError(
            f"bot did not start: {line!r}\n{proc.stderr.read() if proc.stderr else ''}"
        )
    return match.group(0)


@pytest.fixture
def two_bots(
    fake_slack: FakeSlack, redis_url: str, docker_host: str, tmp_path: Path
) -> Iterator[list[SlackSender]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OPSBOT_SLACK_API_URL=fake_slack.api_url,
        REDIS_URL=redis_url,
        OPSBOT_KEY_PREFIX=f"two{time.monotonic_ns()}",
        OPSBOT_POLICY_PATH=str(write_policy(tmp_path / "policy.yaml", count=1)),
        OPSBOT_DOCKER_HOSTS=json.dumps({"default": docker_host}),
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
        OPSBOT_SLACK_GROUP_MAP=json.dumps(group_map_of(fake_slack)),
    )
    procs = [_start_bot(env)[0] for _ in range(2)]
    try:
        yield [SlackSender(_url_of(p), signing_secret=SIGNING_SECRET) for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


@pytest.mark.e2e
def test_two_bot_processes_execute_once(
    fake_slack: FakeSlack, two_bots: list[SlackSender], containers: ContainerFactory
) -> None:
    web = containers.run("web", start=False)
    a, b = two_bots

    # both replicas receive the same mention: one preview
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    event_id, status = a.event(ask)
    assert status == 200
    assert b.event(ask, event_id=event_id)[1] == 200
    preview = fake_slack.wait_for(
        lambda: next((m for m in fake_slack.messages if m.thread_ts == ask["ts"]), None),
        timeout=20,
        what="preview",
    )
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("reactions.add")) >= 2, what="reactions")

    # the same reaction reaches both replicas at once, and a second approver races them
    vote = reaction(user="USRE1", name="white_check_mark", channel=CHANNEL, ts=preview.ts)
    other = reaction(user="USRE2", name="white_check_mark", channel=CHANNEL, ts=preview.ts)
    same_id = "EvSAMEREACTION1"
    sends = [
        lambda: a.event(vote, event_id=same_id),
        lambda: b.event(vote, event_id=same_id),
        lambda: b.event(other),
    ]
    threads = [threading.Thread(target=s) for s in sends]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    fake_slack.wait_for(
        lambda: [m for m in fake_slack.thread(CHANNEL, ask["ts"]) if "Done" in text_of(m)],
        timeout=20,
        what="result",
    )
    time.sleep(1.0)  # let a (wrong) second execution report in
    results = [
        m
        for m in fake_slack.thread(CHANNEL, ask["ts"])
        if m.ts != preview.ts and ("Done" in m.text or "Failed" in m.text)
    ]
    assert len(results) == 1, [m.text for m in results]
    web.reload()
    assert web.status == "running"
    previews = [
        m for m in fake_slack.messages if m.thread_ts == ask["ts"] and "*Plan*" in text_of(m)
    ]
    assert len(previews) == 1
