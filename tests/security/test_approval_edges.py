"""Edges of the approval flow: a vote while Redis is down is answered "not recorded" and a
retry counts; a result that finished while Redis was away is recorded later, never reported
"interrupted"; one user's pending approvals are capped across replicas."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.approvals.models import ApprovalState, Executed, PendingApproval, VoteResult
from bot.models import Principal, Request
from bot.replies import PlanExecuted, ReplyKind
from tests.fixtures.services import RedisProcess, start_redis
from tests.security.approval_harness import (  # noqa: F401  (pods: the fixture)
    ASK,
    BOB,
    CAROL,
    Pods,
    ask,
    pods_fixture,
    policy,
)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = start_redis(tmp_path / "redis", appendonly=False)
    try:
        yield server
    finally:
        if server.proc is not None:
            server.proc.send_signal(signal.SIGCONT)
        server.stop()


def _pause(server: RedisProcess) -> None:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGSTOP)


def _resume(server: RedisProcess) -> None:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGCONT)


def test_a_vote_while_redis_is_down_is_not_recorded_and_its_retry_counts(
    own_redis: RedisProcess, tmp_path: Path
) -> None:
    service = Pods(tmp_path, own_redis.url).pod(policy())
    message = ask(service)

    _pause(own_redis)
    lost = service.vote(message=message, voter=CAROL, approve=True, event_id="Ev-1")
    _resume(own_redis)
    assert lost.result is VoteResult.UNAVAILABLE
    assert "NOT recorded" in lost.text and "again" in lost.text

    retry = service.vote(message=message, voter=CAROL, approve=True, event_id="Ev-1")
    assert retry.result is VoteResult.EXECUTE, retry.text


def test_a_result_finished_while_redis_was_away_is_recorded_not_interrupted(
    own_redis: RedisProcess, tmp_path: Path
) -> None:
    service = Pods(tmp_path, own_redis.url).pod(policy())
    message = ask(service)

    def redis_goes_away(_: PendingApproval) -> None:
        _pause(own_redis)

    try:
        vote = service.vote(
            message=message, voter=CAROL, approve=True, on_executing=redis_goes_away
        )
    finally:
        _resume(own_redis)
    assert isinstance(vote, PlanExecuted), vote.text
    assert "may be partly applied" not in vote.text

    assert service.recover_interrupted(older_than_seconds=0) == []
    approval = service.approval_for_message(message)
    assert approval is not None
    assert approval.state is (ApprovalState.DONE if vote.execution.ok else ApprovalState.FAILED)
    assert approval.outcome == Executed(report=vote.execution)


def test_one_users_pending_approvals_are_capped_across_replicas(pods: Pods) -> None:
    one = pods.pod(policy(), max_pending_per_user=2)
    two = pods.pod(policy(), max_pending_per_user=2)
    ask(one)
    ask(two, text="scale deploy/web to 4 in dev")

    refused = two.handle_request(Request(principal=BOB, text="scale deploy/web to 5 in dev"))
    assert refused.kind is ReplyKind.INVALID
    assert "You have 2 plans waiting for approval: cancel one or wait" in refused.text
    assert one.handle_request(Request(principal=BOB, text=ASK)).kind is ReplyKind.INVALID
    other_dev = Principal(id="frank", groups=frozenset({"dev"}))  # the cap is per user
    assert one.handle_request(Request(principal=other_dev, text=ASK)).kind is (
        ReplyKind.NEEDS_APPROVAL
    )
