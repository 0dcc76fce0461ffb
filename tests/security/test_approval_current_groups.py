"""Issue 9 §1: an approval is counted with the requester's and the voters' CURRENT groups.

The groups Slack gives a user (user groups mapped by OPSBOT_SLACK_GROUP_MAP) are read when the
user asks and when they vote. Someone removed from the mapped user group afterwards must not
keep the rights it gave them: a requester removed before the deciding vote is refused, and a
voter removed no longer counts. Through the real Bolt app (HTTP) against the fake Slack Web API,
with a real Redis store and the real Docker daemon; the group cache is off (0 s) so a change
in Slack is seen at once (in production it is seen within OPSBOT_SLACK_GROUPS_CACHE_SECONDS).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack, mention, reaction
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.slack_fake import (
    CHANNEL,
    SlackHarness,
    slack_settings,
    status_of,
    text_of,
)

APPROVE = "white_check_mark"

# Writes are granted to the Slack group @dev only; approvals come from the Slack group @sre.
POLICY = """
grants:
  - name: all-read
    users: ["*"]
    actions: [read]
  - name: dev-writes
    groups: [dev]
    actions: [write]
approvals:
  - name: sre-approves-writes
    actions: [write]
    count: {count}
    approver_groups: [sre]
    expires_after: 30m
"""


def _harness(
    count: int,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    tmp_path: Path,
) -> SlackHarness:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(count=count))
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        docker_disabled=False,
        docker_hosts={"default": docker_host},
        policy_path=policy,
        slack_groups_cache_seconds=0,
    )
    return slack_harness(settings, mode="http")


def _vote(h: SlackHarness, user: str, preview_ts: str) -> None:
    h.send_event(reaction(user=user, name=APPROVE, channel=CHANNEL, ts=preview_ts))


def _answer_to(h: SlackHarness, user: str, nth: int = 1) -> str:
    """The `nth` private answer the bot gave `user`."""

    def answers() -> list[str]:
        with h.fake._lock:
            return [m.text for m in h.fake.messages if m.ephemeral_for == user]

    return str(h.fake.wait_for(lambda: len(answers()) >= nth and answers(), what=user)[nth - 1])


@pytest.mark.e2e
def test_a_requester_removed_from_the_slack_group_before_the_deciding_vote_is_refused(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    web = containers.run("web", start=False)
    h = _harness(1, fake_slack, slack_harness, redis_url, docker_host, tmp_path)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])

    fake_slack.set_group_members("dev", ["UDEV2"])  # UDEV1 leaves @dev (its write grant)
    _vote(h, "USRE1", preview.ts)

    notice = h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "policy in force now denies" in m.text,
        what="the refusal in the thread",
    )
    assert "no grant lets UDEV1" in text_of(notice), notice.text
    fake_slack.wait_for(
        lambda: "refused" in status_of(preview).lower(), what="preview shows refused"
    )
    web.reload()
    assert web.status == "created"  # nothing ran


@pytest.mark.e2e
def test_a_voter_removed_from_the_slack_group_no_longer_counts(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    web = containers.run("web", start=False)
    h = _harness(2, fake_slack, slack_harness, redis_url, docker_host, tmp_path)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])

    _vote(h, "USRE1", preview.ts)
    assert "Approvals: 1/2" in _answer_to(h, "USRE1")
    fake_slack.set_group_members("sre", ["USRE2"])  # USRE1 leaves @sre
    _vote(h, "USRE2", preview.ts)

    answer = _answer_to(h, "USRE2")
    assert "Approvals: 1/2" in answer and "1 more from @sre" in answer, answer
    assert "Pending approval" in status_of(preview)
    web.reload()
    assert web.status == "created"  # USRE1's ballot no longer counts: nothing ran


@pytest.mark.e2e
def test_a_voter_added_to_the_slack_group_counts(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    web = containers.run("web", start=False)
    h = _harness(2, fake_slack, slack_harness, redis_url, docker_host, tmp_path)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])

    _vote(h, "USRE1", preview.ts)
    assert "Approvals: 1/2" in _answer_to(h, "USRE1")
    _vote(h, "UDEV2", preview.ts)
    assert "does not count" in _answer_to(h, "UDEV2")  # not in @sre yet

    fake_slack.set_group_members("sre", ["USRE1", "USRE2", "UDEV2"])  # UDEV2 joins @sre
    _vote(h, "UDEV2", preview.ts)  # a new reaction event (Slack: re-added)
    h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and m.ts != preview.ts and "Done" in text_of(m),
        what="execution after the added voter's approval",
    )
    web.reload()
    assert web.status == "running"
