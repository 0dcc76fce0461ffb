"""Attack: a `reaction_removed` processed before its `reaction_added` (a Slack retry, two
replicas out of order) lost the withdrawal, and the late add completed the approval although
the reaction was gone. Votes and withdrawals apply in event-time order per (approval, voter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.approvals.models import ApprovalState, VoteResult
from bot.replies import PlanExecuted, VoteAnswered
from tests.security.approval_harness import (  # noqa: F401  (pods: the fixture)
    CAROL,
    DAVE,
    Pods,
    ask,
    pods_fixture,
    policy,
)

T = datetime.now(UTC).replace(microsecond=123456)


def test_a_withdrawal_processed_before_its_older_add_stays_withdrawn(pods: Pods) -> None:
    service = pods.pod(policy(count=1))
    message = ask(service)
    added_at, removed_at = T, T + timedelta(microseconds=1)

    gone = service.withdraw_vote(
        message=message, voter=CAROL, event_id="Ev-remove", event_time=removed_at
    )
    assert not isinstance(gone, PlanExecuted)
    late_add = service.vote(
        message=message, voter=CAROL, approve=True, event_id="Ev-add", event_time=added_at
    )
    assert isinstance(late_add, VoteAnswered), late_add.text
    assert late_add.result is VoteResult.STALE, late_add.text
    approval = service.approval_for_message(message)
    assert approval is not None
    assert (approval.state, approval.votes) == (ApprovalState.PENDING, {})


def test_out_of_order_across_two_replicas_never_completes_the_approval(pods: Pods) -> None:
    one, two = pods.pod(policy(count=2)), pods.pod(policy(count=2))
    message = ask(one)
    first = one.vote(message=message, voter=DAVE, approve=True, event_time=T)
    assert isinstance(first, VoteAnswered) and first.result is VoteResult.RECORDED
    two.withdraw_vote(message=message, voter=CAROL, event_time=T + timedelta(seconds=2))
    late = one.vote(message=message, voter=CAROL, approve=True, event_time=T + timedelta(seconds=1))
    assert isinstance(late, VoteAnswered) and late.result is VoteResult.STALE
    approval = two.approval_for_message(message)
    assert approval is not None and approval.state is ApprovalState.PENDING
    assert set(approval.votes) == {"dave"}


def test_a_newer_add_after_a_withdrawal_counts_again(pods: Pods) -> None:
    service = pods.pod(policy(count=1))
    message = ask(service)
    service.withdraw_vote(message=message, voter=CAROL, event_time=T)
    again = service.vote(
        message=message, voter=CAROL, approve=True, event_time=T + timedelta(microseconds=1)
    )
    assert again.result is VoteResult.EXECUTE, again.text


def test_an_older_withdrawal_does_not_undo_a_newer_vote(pods: Pods) -> None:
    service = pods.pod(policy(count=2))
    message = ask(service)
    service.vote(message=message, voter=CAROL, approve=True, event_time=T + timedelta(seconds=5))
    old = service.withdraw_vote(message=message, voter=CAROL, event_time=T)
    assert old.result is VoteResult.STALE
    approval = service.approval_for_message(message)
    assert approval is not None and set(approval.votes) == {"carol"}
