"""Counting ballots under the requirements in force now, and the move to executing.

The store records ballots; whoever holds the current policy counts them here and asks the
store to start the plan only if the ballots are still the ones it counted
(`try_execute(ballots_version)`). A change in between (a withdrawal, another vote) makes it
count again, so a plan never starts on votes that are gone, and exactly one caller starts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.approvals.models import ApprovalState, PendingApproval, VoteOutcome, VoteResult
from bot.approvals.store import ApprovalStore
from bot.models import Principal
from bot.policy.decision import ApprovalRequirement

MAX_ROUNDS = 8


@dataclass(frozen=True)
class Counted:
    """`outcome.result`: EXECUTE (this caller, only, runs the plan) | RECORDED (still pending,
    `approval.missing()` says what is needed) | NOT_PENDING | EXPIRED | NOT_FOUND | STALE (the
    ballots kept changing for MAX_ROUNDS reads; the next vote counts again).
    `approval`: the record counted under `requirements` (None when it does not exist)."""

    outcome: VoteOutcome
    approval: PendingApproval | None


def count_and_start(
    store: ApprovalStore,
    approval_id: str,
    *,
    requirements: list[ApprovalRequirement],
    current: Callable[[Principal], Principal],
    by: str,
    now: datetime,
) -> Counted:
    view: PendingApproval | None = None
    for _ in range(MAX_ROUNDS):
        stored = store.get(approval_id)
        if stored is None:
            return Counted(VoteOutcome(result=VoteResult.NOT_FOUND), None)
        view = stored.counted(requirements, current)
        if stored.state is not ApprovalState.PENDING:
            return Counted(_outcome(VoteResult.NOT_PENDING, view), view)
        if view.missing():
            return Counted(_outcome(VoteResult.RECORDED, view), view)
        started = store.try_execute(
            approval_id, ballots_version=stored.ballots_version, by=by, now=now
        )
        if started.result is not VoteResult.STALE:
            view = view.model_copy(
                update={"state": started.state or view.state, "decided_by": by}
                if started.result is VoteResult.EXECUTE
                else {"state": started.state or view.state}
            )
            return Counted(_outcome(started.result, view), view)
    assert view is not None
    return Counted(_outcome(VoteResult.STALE, view), view)


def _outcome(result: VoteResult, view: PendingApproval) -> VoteOutcome:
    return VoteOutcome(result=result, state=view.state, tally=view.tally())
