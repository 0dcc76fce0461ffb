"""Attack: a plan pending under an old policy ran under its old requirements after the policy
changed (the chart rolls the pods on every policy change). The deciding vote must be counted
under the policy in force when the plan runs, with everyone's current groups."""

from __future__ import annotations

from bot.approvals.models import ApprovalState, VoteResult
from bot.models import MessageRef
from bot.replies import PlanExecuted, PlanRefused, VoteAnswered
from bot.service import OpsService
from tests.security.approval_harness import (  # noqa: F401  (pods: the fixture)
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    Pods,
    ask,
    pods_fixture,
    policy,
)


def _state(service: OpsService, message: MessageRef) -> ApprovalState:
    approval = service.approval_for_message(message)
    assert approval is not None
    return approval.state


def test_count_raised_from_one_to_two_needs_the_second_vote(pods: Pods) -> None:
    old = pods.pod(policy(count=1))
    message = ask(old)
    new = pods.pod(policy(count=2))

    first = new.vote(message=message, voter=CAROL, approve=True)
    assert isinstance(first, VoteAnswered), first.text
    assert first.result is VoteResult.RECORDED, first.text
    assert "1 more from @sre" in first.text
    assert "policy changed" in first.thread_notice
    assert _state(new, message) is ApprovalState.PENDING

    second = new.vote(message=message, voter=DAVE, approve=True)
    assert second.result is VoteResult.EXECUTE, second.text


def test_approver_group_changed_old_group_votes_no_longer_count(pods: Pods) -> None:
    old = pods.pod(policy(count=2, approvers="sre"))
    message = ask(old)
    assert old.vote(message=message, voter=CAROL, approve=True).result is VoteResult.RECORDED
    new = pods.pod(policy(count=1, approvers="ops"))

    refused = new.vote(message=message, voter=DAVE, approve=True)  # sre: no longer approves
    assert refused.result is VoteResult.UNAUTHORIZED, refused.text
    assert "group ops" in refused.text
    assert _state(new, message) is ApprovalState.PENDING  # carol's sre vote counts nothing now

    counted = new.vote(message=message, voter=ERIN, approve=True)
    assert isinstance(counted, PlanExecuted), counted.text
    assert set(counted.approval.votes) == {"erin"}


def test_self_approval_switched_off_refuses_the_requesters_vote(pods: Pods) -> None:
    old = pods.pod(policy(approvers="dev", self_approval=True))
    message = ask(old)
    new = pods.pod(policy(approvers="dev", self_approval=False))

    own = new.vote(message=message, voter=BOB, approve=True)
    assert own.result is VoteResult.UNAUTHORIZED, own.text
    assert "own request" in own.text
    assert _state(new, message) is ApprovalState.PENDING


def test_requester_removed_from_the_granting_group_is_refused_at_the_deciding_vote(
    pods: Pods,
) -> None:
    old = pods.pod(policy())
    message = ask(old)
    new = pods.pod(policy(bob_groups="guests"))

    vote = new.vote(message=message, voter=CAROL, approve=True)
    assert isinstance(vote, PlanRefused), vote.text  # closed; its text goes to the thread
    assert "policy in force now denies" in vote.text
    assert _state(new, message) is ApprovalState.REFUSED
    late = new.vote(message=message, voter=ALICE, approve=True)
    assert isinstance(late, VoteAnswered) and late.result is VoteResult.NOT_PENDING


def test_a_voter_removed_from_the_approver_group_no_longer_counts(pods: Pods) -> None:
    old = pods.pod(policy(count=2))
    message = ask(old)
    assert old.vote(message=message, voter=CAROL, approve=True).result is VoteResult.RECORDED
    new = pods.pod(policy(count=2, carol_groups="dev"))

    vote = new.vote(message=message, voter=DAVE, approve=True)
    assert isinstance(vote, VoteAnswered), vote.text
    assert vote.result is VoteResult.RECORDED, vote.text  # carol's vote is gone: 1 of 2
    assert "1 more from @sre" in vote.text
    assert new.vote(message=message, voter=ALICE, approve=True).result is VoteResult.EXECUTE


def test_a_vote_already_cast_counts_again_when_the_count_was_lowered(pods: Pods) -> None:
    """Count lowered 2 -> 1 while carol's vote waited: carol's repeated reaction (a new event,
    or a retry after a failover cut off the count) runs the plan; it is not shrugged off as
    "already approved" while the plan sits pending with enough votes."""
    old = pods.pod(policy(count=2))
    message = ask(old)
    assert old.vote(message=message, voter=CAROL, approve=True).result is VoteResult.RECORDED
    new = pods.pod(policy(count=1))

    again = new.vote(message=message, voter=CAROL, approve=True)
    assert isinstance(again, PlanExecuted), again.text
    assert _state(new, message) is not ApprovalState.PENDING


def test_a_repeated_vote_that_is_still_short_says_so(pods: Pods) -> None:
    pod = pods.pod(policy(count=2))
    message = ask(pod)
    assert pod.vote(message=message, voter=CAROL, approve=True).result is VoteResult.RECORDED
    again = pod.vote(message=message, voter=CAROL, approve=True)
    assert again.result is VoteResult.DUPLICATE, again.text
    assert "already approved" in again.text
    assert _state(pod, message) is ApprovalState.PENDING
