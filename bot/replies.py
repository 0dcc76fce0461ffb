"""What the service answers to chat adapters. Adapters only render these; they decide nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from bot.approvals.models import ApprovalState, PendingApproval, VoteResult
from bot.backends.base import Result
from bot.plan import Plan
from bot.policy.decision import Decision


class ReplyKind(StrEnum):
    RESULT = "result"  # read plan executed at once
    NEEDS_APPROVAL = "needs_approval"  # write plan stored, waiting for votes
    DENIED = "denied"  # policy said no
    INVALID = "invalid"  # could not understand the request (with usage)
    HELP = "help"
    ERROR = "error"  # something on our side failed (store down, backend not configured)
    DUPLICATE = "duplicate"  # the event was seen before; adapters post nothing


class StepPreview(BaseModel):
    operation: str
    description: str
    risk: str
    current: dict[str, Any] = Field(default_factory=dict)
    desired: dict[str, Any] = Field(default_factory=dict)
    dry_run_ok: bool | None = None
    dry_run_error: str | None = None
    note: str | None = None


class StepOutcome(BaseModel):
    operation: str
    description: str
    result: Result


class ExecutionReport(BaseModel):
    plan_digest: str
    approval_id: str | None = None
    steps: list[StepOutcome] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="steps not run after a failure")
    ok: bool = True
    undo_plan: Plan | None = Field(default=None, description="inverse plan, when reversible")
    duration_ms: float = 0.0


class Reply(BaseModel):
    kind: ReplyKind
    text: str = Field(description="plain-text rendering; every adapter can show it")
    plan: Plan | None = None
    decision: Decision | None = None
    previews: list[StepPreview] = Field(default_factory=list)
    approval_id: str | None = None
    expires_at: datetime | None = None
    execution: ExecutionReport | None = None
    usage: str | None = None


class VoteReply(BaseModel):
    result: VoteResult
    text: str = Field(description="short answer for the voter (may be empty for plain counts)")
    thread_notice: str = Field(
        default="", description="for everyone in the plan's thread (policy changed, refused)"
    )
    approval: PendingApproval | None = None
    state: ApprovalState | None = None
    execution: ExecutionReport | None = None
