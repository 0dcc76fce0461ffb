"""Builders shared by the approval tests, their spawned worker processes and the benchmark."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from bot.approvals.counting import count_and_start
from bot.approvals.models import Ballot, PendingApproval, VoteOutcome, VoteResult
from bot.approvals.store import ApprovalStore
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.models import MessageRef, Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement
from bot.run_report import ExecutionReport

# The time these helpers were imported: Redis expires keys by its own clock a day after they
# are due, so records built on it stay live for the session. It is NOT "now" later on: a test
# that compares with the real clock (or whose spawned workers do) reads its own base time and
# passes it along, as test_exactly_once does.
T0 = datetime.now(UTC).replace(microsecond=0)
REQUESTER = Principal(id="U-req", name="requester", groups=frozenset({"dev"}))


def requirement(count: int = 1, *groups: str, ttl: int = 600) -> ApprovalRequirement:
    return ApprovalRequirement(
        rule=f"need-{count}-{'-'.join(groups) or 'sre'}",
        count=count,
        approver_groups=frozenset(groups or {"sre"}),
        ttl_seconds=ttl,
    )


def plan(replicas: int = 5, name: str = "web") -> Plan:
    return Plan(steps=[ScaleDeployment(namespace="prod", name=name, replicas=replicas)])


def make_approval(
    *,
    approval_id: str | None = None,
    requirements: list[ApprovalRequirement] | None = None,
    replicas: int = 5,
    created_at: datetime = T0,
    ttl_seconds: int = 600,
    message: MessageRef | None = None,
) -> PendingApproval:
    return PendingApproval(
        id=approval_id or uuid.uuid4().hex,
        plan=plan(replicas),
        requester=REQUESTER,
        requirements=requirements or [requirement(1)],
        created_at=created_at,
        expires_at=created_at + timedelta(seconds=ttl_seconds),
        request_text=f"scale deploy/web to {replicas} in prod",
        channel="C-ops",
        thread="1700000000.000100",
        message=message,
    )


def _voter(approval: PendingApproval, voter_id: str, counts_for: list[int]) -> Principal:
    """A voter whose groups make it count for exactly `counts_for` (by requirement index)."""
    groups = {
        sorted(approval.requirements[i].approver_groups)[0]
        for i in counts_for
        if 0 <= i < len(approval.requirements)
    }
    return Principal(id=voter_id, groups=frozenset(groups))


def vote(
    store: ApprovalStore,
    approval_id: str,
    *,
    voter_id: str,
    digest: str,
    counts_for: list[int],
    now: datetime,
) -> VoteOutcome:
    """What the service does for an approve: record the ballot, then count the ballots under
    the stored requirements and start the plan if they are met (exactly one caller)."""
    approval = store.get(approval_id)
    if approval is None:
        return VoteOutcome(result=VoteResult.NOT_FOUND)
    ballot = Ballot(
        voter=_voter(approval, voter_id, counts_for), approve=True, at_us=time.time_ns() // 1000
    )
    recorded = store.record_ballot(approval_id, ballot=ballot, digest=digest, now=now)
    if recorded.result is not VoteResult.RECORDED:
        return _with_tally(store, approval_id, recorded)
    outcome = count_and_start(
        store,
        approval_id,
        requirements=approval.requirements,
        current=lambda p: p,
        by=voter_id,
        now=now,
    ).outcome
    if outcome.result is VoteResult.EXECUTE:
        return outcome
    # the ballot is recorded whatever the count found (another caller may have started it)
    return outcome.model_copy(update={"result": VoteResult.RECORDED})


def withdraw(store: ApprovalStore, approval_id: str, *, voter_id: str) -> VoteOutcome:
    ballot = Ballot(voter=Principal(id=voter_id), approve=False, at_us=time.time_ns() // 1000)
    out = store.record_ballot(approval_id, ballot=ballot, digest=None, now=datetime.now(UTC))
    return _with_tally(store, approval_id, out)


def _with_tally(store: ApprovalStore, approval_id: str, outcome: VoteOutcome) -> VoteOutcome:
    stored = store.get(approval_id)
    if stored is None or outcome.state is None:
        return outcome
    return outcome.model_copy(update={"tally": counted(stored).tally()})


def counted(approval: PendingApproval) -> PendingApproval:
    """The approval with its ballots counted under its stored requirements."""
    return approval.counted(approval.requirements)


def ran(approval: PendingApproval, *, ok: bool = True) -> ExecutionReport:
    """The report `finish` records for `approval` (no step details needed here)."""
    return ExecutionReport(plan_digest=approval.digest, approval_id=approval.id, ok=ok)
