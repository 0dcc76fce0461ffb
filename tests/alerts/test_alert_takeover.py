"""Zero loss for Alertmanager notifications (issues 11 and 13): a notification that a replica
recorded and was working when it died is taken over by a running replica after the takeover
timeout and posted once; a processing error is retried (up to the max attempts) and posts
once. A real Alertmanager, real Redis, a real `opsbot serve` process killed with SIGKILL, and
the fake Slack API's faults."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from bot.config import Settings
from bot.receivers.alertmanager.ledger import GROUP_LOCK_SECONDS
from tests.alerts.test_alertmanager_real import group_posts, in_thread
from tests.backends.test_kubernetes_real import wait_for
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.alert_bot import ALERTS_CHANNEL, AlertBot
from tests.fixtures.alertmanager import ALERTS_TOKEN, RealAlertmanager
from tests.fixtures.slack_fake import SIGNING_SECRET, group_map_of

CLAIM_AFTER = 1  # seconds: the takeover timeout (OPSBOT_INTAKE_CLAIM_AFTER_SECONDS)
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0"]
IN_PROCESS = ["--workers", "0"]  # no worker processes: SIGKILL kills the whole replica


@pytest.fixture
def doomed_replica(
    fake_slack: FakeSlack, alert_settings: Callable[..., Settings]
) -> Iterator[Callable[[Settings], tuple[subprocess.Popen[str], str]]]:
    """Factory: `opsbot serve` in its own process with the receiver on, configured like
    `settings` (same Redis and key prefix); returns the process and its /alertmanager URL."""
    procs: list[subprocess.Popen[str]] = []

    def start(settings: Settings) -> tuple[subprocess.Popen[str], str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
        assert settings.redis_url and settings.alerts_routing and settings.policy_path
        env.update(
            SLACK_BOT_TOKEN=fake_slack.bot_token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            OPSBOT_SLACK_API_URL=fake_slack.api_url,
            OPSBOT_SLACK_GROUP_MAP=json.dumps(group_map_of(fake_slack)),
            REDIS_URL=settings.redis_url,
            OPSBOT_KEY_PREFIX=settings.key_prefix,
            OPSBOT_POLICY_PATH=str(settings.policy_path),
            OPSBOT_KUBE_DISABLED="true",
            OPSBOT_DOCKER_DISABLED="true",
            OPSBOT_HTTP_PORT="0",
            OPSBOT_ALERTS_ROUTING=str(settings.alerts_routing),
            OPSBOT_ALERTS_TOKEN=ALERTS_TOKEN,
            OPSBOT_ALERTS_PORT="0",
            OPSBOT_INTAKE_CLAIM_AFTER_SECONDS=str(CLAIM_AFTER),
        )
        proc = subprocess.Popen([*SERVE, *IN_PROCESS], env=env, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        for _ in range(20):
            line = proc.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+/alertmanager", line)
            if found:
                return proc, found.group(0)
            if not line:
                break
        proc.kill()
        raise AssertionError("the replica did not start its Alertmanager receiver")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_a_notification_a_killed_replica_was_working_is_taken_over_and_posted_once(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    doomed_replica: Callable[[Settings], tuple[subprocess.Popen[str], str]],
) -> None:
    settings = alert_settings(intake_claim_after_seconds=CLAIM_AFTER)
    doomed, url = doomed_replica(settings)
    # the doomed replica records the notification (200), takes it and is stuck posting it
    # (Slack is slow and finally answers an error: the stuck call has no effect)
    fake_slack.delay("chat.postMessage", 60, then_fail="request_timeout")
    am = alertmanager([url])
    am.fire({"alertname": "HostDiskFull", "instance": f"db-{uuid.uuid4().hex[:6]}"})
    wait_for(
        "the doomed replica to start posting",
        lambda: any(c.args.get("channel") == ALERTS_CHANNEL for c in fake_slack.calls),
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    assert group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull") == []
    # a running replica takes the dead one's notification over (after CLAIM_AFTER) and posts
    # it, once: when the dead replica's lock on the alert group has expired (GROUP_LOCK_SECONDS
    # after it took it: it died inside a Slack call, which may take that long)
    alert_bot(settings)
    wait_for(
        "the taken-over notification's post",
        lambda: group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull"),
        timeout=GROUP_LOCK_SECONDS + 15,
    )
    time.sleep(CLAIM_AFTER * 2.5)  # room for a second (wrong) takeover
    assert len(group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull")) == 1


def test_a_processing_error_is_retried_and_posts_once(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
) -> None:
    bot = alert_bot(alert_settings(intake_claim_after_seconds=CLAIM_AFTER))
    fake_slack.fail("chat.postMessage", error="internal_error")  # the first attempt's post
    am = alertmanager([bot.url])
    am.fire({"alertname": "QueueStuck", "queue": "mail"})
    wait_for(
        "the post on the retry",
        lambda: group_posts(fake_slack, ALERTS_CHANNEL, "QueueStuck"),
        timeout=20,
    )
    tries = [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.args.get("channel") == ALERTS_CHANNEL and not c.args.get("thread_ts")
    ]
    assert len(tries) == 2  # the failed attempt, then the retry
    time.sleep(CLAIM_AFTER * 2.5)
    assert len(group_posts(fake_slack, ALERTS_CHANNEL, "QueueStuck")) == 1


def test_a_retried_notification_posts_nothing_twice_and_loses_no_step(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
) -> None:
    """The resolution's note fails on the first attempt (after the group message was already
    updated): the retry updates the message again instead of posting it, and posts the note
    once (the failed step's once-claim was released, the done ones were kept)."""
    bot = alert_bot(alert_settings(intake_claim_after_seconds=CLAIM_AFTER))
    am = alertmanager([bot.url])
    labels = {"alertname": "CacheCold", "instance": f"c-{uuid.uuid4().hex[:6]}"}
    am.fire(labels)
    (group,) = wait_for(
        "the group's post", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "CacheCold")
    )
    fake_slack.fail("chat.postMessage", error="internal_error")  # the resolution note
    am.resolve(labels)
    wait_for(
        "the resolution note on the retry",
        lambda: in_thread(fake_slack, ALERTS_CHANNEL, group.ts),
        timeout=20,
    )
    time.sleep(CLAIM_AFTER * 2.5)
    (note,) = in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
    assert note.text.startswith("Resolved: CacheCold")
    assert [m.ts for m in group_posts(fake_slack, ALERTS_CHANNEL, "CacheCold")] == [group.ts]
    current = fake_slack.message(ALERTS_CHANNEL, group.ts)
    assert current is not None and "0 firing" in current.text
