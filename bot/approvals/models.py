"""Pending approvals and the outcomes of acting on them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.models import MessageRef, Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement


class ApprovalState(StrEnum):
    PENDING = "pending"
    EXECUTING = "executing"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    UNAUTHORIZED = "unauthorized"  # the voter may not approve this plan (not counted)
    DUPLICATE_EVENT = "duplicate_event"  # the same chat event was delivered again
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_STATES = frozenset(
    {
        ApprovalState.DONE,
        ApprovalState.FAILED,
        ApprovalState.REJECTED,
        ApprovalState.EXPIRED,
        ApprovalState.CANCELLED,
    }
)


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
    state: ApprovalState = ApprovalState.PENDING
    votes: dict[str, list[int]] = Field(
        default_factory=dict, description="voter id -> indexes of requirements the vote counts for"
    )
    decided_by: str | None = None
    result_summary: str | None = None

    @property
    def digest(self) -> str:
        return self.plan.digest

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
    CANCELLED = "cancelled"  # the answer to a successful cancel()


class VoteOutcome(BaseModel):
    result: VoteResult
    state: ApprovalState | None = None
    tally: list[int] = Field(default_factory=list)
