"""A plan whose bot replica stopped mid-run: the periodic sweep marks it failed (never re-run),
updates its preview and tells its thread to check the state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.slack.blocks import escape
from bot.adapters.sweep import SweepRouter
from bot.approvals.models import ApprovalState, VoteResult
from bot.models import MessageRef
from tests.approvals.helpers import vote
from tests.fakes.slack_api import FakeSlack, mention
from tests.fixtures.slack_fake import (
    CHANNEL,
    SlackHarness,
    run_expiry,
    service_for,
    slack_settings,
    status_of,
    text_of,
    write_policy,
)


def test_the_sweep_marks_an_interrupted_plan_failed_and_tells_its_thread(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    tmp_path: Path,
) -> None:
    now = [datetime.now(UTC)]
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        policy_path=write_policy(tmp_path / "p.yaml"),
        interrupted_after_seconds=600,
    )
    h = slack_harness(settings, mode="http", service=service_for(settings, clock=lambda: now[0]))
    run_expiry(h)
    ask = mention(user="UDEV1", channel=CHANNEL, text="scale deploy/web to 3 in dev")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])
    approval = h.service.approval_for_message(
        MessageRef(platform="slack", channel=CHANNEL, ts=preview.ts)
    )
    assert approval is not None
    # a replica took the completing vote and died before running or finishing the plan
    outcome = vote(
        h.service.store,
        approval.id,
        voter_id="USRE1",
        digest=approval.digest,
        counts_for=[0],
        now=now[0],
    )
    assert outcome.result is VoteResult.EXECUTE

    now[0] += timedelta(seconds=300)  # younger than the setting: left alone
    sweep = SweepRouter(h.service, {"slack": h.bot.frontend}, interrupted_after_seconds=600)
    assert sweep.once().interrupted == 0
    assert "Pending approval" in status_of(preview)
    now[0] += timedelta(seconds=301)
    fake_slack.wait_for(lambda: "Failed" in status_of(preview), what="failed status")
    assert "interrupted: check the current state" in status_of(preview)
    notice = h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "stopped while this plan was running" in m.text,
        what="interrupted notice in the thread",
    )
    assert escape(approval.plan.describe()) in text_of(notice)
    assert "Check the current state" in notice.text
    assert "will not be run again" in notice.text
    stored = h.service.store.get(approval.id)
    assert stored is not None and stored.state is ApprovalState.FAILED
    interrupted = [e for e in h.service.audit.recent(50) if e.event == "interrupted"]
    assert [e.approval_id for e in interrupted] == [approval.id]
