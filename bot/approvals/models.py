"""Pending approvals and the outcomes of acting on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.models import MessageRef, Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement
from bot.run_report import ExecutionReport, StepPreview

INTERRUPTED_NOTE = (
    "interrupted: the bot stopped while this plan was running; "
    "check the current state before retrying"
)


class ApprovalState(StrEnum):
    PENDING = "pending"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"  # the voter may not approve this plan (not counted)
    DUPLICATE_EVENT = "duplicate_event"  # the same chat event was delivered again
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # its creation was not acknowledged by the Redis replicas
    REFUSED = "refused"  # the policy in force when the deciding vote came denies the plan


TERMINAL_STATES = frozenset(
    {
        ApprovalState.DONE,
        ApprovalState.FAILED,
        ApprovalState.REJECTED,
        ApprovalState.EXPIRED,
        ApprovalState.CANCELLED,
        ApprovalState.REFUSED,
    }
)


class Ballot(BaseModel):
    """One voter's latest say on one approval: approve, or a withdrawal (kept, so an older
    approve delivered late cannot revive it). Counted by the service under the policy in force
    when the plan would run, never pre-counted by the store."""

    model_config = ConfigDict(frozen=True)

    voter: Principal = Field(
        description="the voter as the chat adapter gave it; its groups are never counted "
        "(the service counts with the voter's current ones)"
    )
    approve: bool
    at_us: int = Field(ge=0, description="platform event time, microseconds since the epoch")


class Executed(BaseModel):
    """The plan ran (state done or failed): its report, with the undo plan if any."""

    kind: Literal["executed"] = "executed"
    report: ExecutionReport


class Interrupted(BaseModel):
    """The bot stopped while the plan ran (state failed); it is never run again."""

    kind: Literal["interrupted"] = "interrupted"
    note: str = INTERRUPTED_NOTE


class Refused(BaseModel):
    """The policy in force at the deciding vote denied the plan (state refused)."""

    kind: Literal["refused"] = "refused"
    reasons: list[str] = Field(default_factory=list)


ApprovalOutcome = Annotated[Executed | Interrupted | Refused, Field(discriminator="kind")]
"""How a closed approval ended, where there is more to say than its state."""


class PendingApproval(BaseModel):
    """A write plan waiting for votes. Bound to the plan digest and the message it was shown in."""

    id: str
    plan: Plan
    requester: Principal
    requirements: list[ApprovalRequirement] = Field(min_length=1)
    created_at: datetime
    expires_at: datetime
    request_text: str = ""
    channel: str = "console"
    thread: str | None = None
    message: MessageRef | None = None
    previews: list[StepPreview] = Field(
        default_factory=list, description="per step: current -> desired and the dry run, as shown"
    )
    state: ApprovalState = ApprovalState.PENDING
    ballots: dict[str, Ballot] = Field(default_factory=dict, description="voter id -> ballot")
    ballots_version: int = Field(default=0, description="bumped by every ballot change")
    votes: dict[str, list[int]] = Field(
        default_factory=dict,
        description="a view, never stored: voter id -> indexes of `requirements` the approving "
        "ballot counts for, as `counted()` last computed it",
    )
    decided_by: str | None = None
    outcome: ApprovalOutcome | None = None

    @property
    def digest(self) -> str:
        return self.plan.digest

    def counted(
        self,
        requirements: list[ApprovalRequirement],
        current: Callable[[Principal], Principal] = lambda p: p,
    ) -> PendingApproval:
        """A copy whose `requirements` and `votes` are the approving ballots counted under
        `requirements`, with requester and voters passed through `current` (the service's:
        their chat groups now plus the current policy's; never the groups stored with them).
        Voters who no longer qualify count for nothing."""
        requester = current(self.requester)
        votes: dict[str, list[int]] = {}
        for voter_id, ballot in self.ballots.items():
            if not ballot.approve:
                continue
            voter = current(ballot.voter)
            indexes = [i for i, r in enumerate(requirements) if r.admits(voter, requester)]
            if indexes:
                votes[voter_id] = indexes
        return self.model_copy(update={"requirements": list(requirements), "votes": votes})

    def missing(self) -> list[tuple[ApprovalRequirement, int]]:
        """(requirement, approvals still needed) for every requirement the votes do not meet."""
        return [
            (r, r.count - have)
            for have, r in zip(self.tally(), self.requirements, strict=True)
            if have < r.count
        ]

    def tally(self) -> list[int]:
        """Distinct votes counted per requirement."""
        counts = [0] * len(self.requirements)
        for indexes in self.votes.values():
            for i in indexes:
                if 0 <= i < len(counts):
                    counts[i] += 1
        return counts


class VoteResult(StrEnum):
    RECORDED = "recorded"  # counted; more approvals still needed
    STALE = "stale"  # an event older than this voter's recorded one: ignored / ballots changed
    REFUSED = "refused"  # the current policy denies the plan: closed, nothing ran
    UNAVAILABLE = "unavailable"  # the store could not be reached: nothing was recorded
    EXECUTE = "execute"  # this vote completed the approval: the caller (only) must execute
    NOT_FOUND = "not_found"
    NOT_PENDING = "not_pending"  # already executing, done, rejected, cancelled
    EXPIRED = "expired"
    DIGEST_MISMATCH = "digest_mismatch"
    DUPLICATE = "duplicate"  # this voter already voted
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"  # the voter may not approve this plan (not counted)
    DUPLICATE_EVENT = "duplicate_event"  # the same chat event was delivered again


class VoteOutcome(BaseModel):
    result: VoteResult
    state: ApprovalState | None = None
    tally: list[int] = Field(default_factory=list)
