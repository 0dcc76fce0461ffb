"""What the service answers to chat adapters. Adapters only render these; they decide nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.approvals.models import ApprovalState, PendingApproval, VoteResult
from bot.plan import Plan
from bot.policy.decision import Decision
from bot.run_report import ExecutionReport as ExecutionReport
from bot.run_report import StepOutcome as StepOutcome
from bot.run_report import StepPreview as StepPreview


class ReplyKind(StrEnum):
    RESULT = "result"  # read plan executed at once
    ANSWER = "answer"  # a diagnosis from the planner, citing the reads it used
    NEEDS_APPROVAL = "needs_approval"  # write plan stored, waiting for votes
    DENIED = "denied"  # policy said no
    RATE_LIMITED = "rate_limited"  # the user sent requests too fast; nothing was looked at
    INVALID = "invalid"  # could not understand the request (with usage)
    HELP = "help"
    ERROR = "error"  # something on our side failed (store down, backend not configured)
    DUPLICATE = "duplicate"  # the event was seen before; adapters post nothing


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str = Field(description="plain-text rendering; every adapter can show it")


class ResultReply(_Reply):
    """An allowed read, run at once."""

    kind: Literal[ReplyKind.RESULT] = ReplyKind.RESULT
    plan: Plan
    decision: Decision
    execution: ExecutionReport


class AnswerReply(_Reply):
    """A diagnosis in words (the text cites the reads it used); nothing was changed."""

    kind: Literal[ReplyKind.ANSWER] = ReplyKind.ANSWER


class NeedsApprovalReply(_Reply):
    """A write plan stored and waiting for votes; post it, then `attach_message`."""

    kind: Literal[ReplyKind.NEEDS_APPROVAL] = ReplyKind.NEEDS_APPROVAL
    plan: Plan
    decision: Decision
    previews: list[StepPreview] = Field(default_factory=list)
    approval_id: str
    expires_at: datetime


class DeniedReply(_Reply):
    kind: Literal[ReplyKind.DENIED] = ReplyKind.DENIED
    plan: Plan
    decision: Decision


class RateLimitedReply(_Reply):
    kind: Literal[ReplyKind.RATE_LIMITED] = ReplyKind.RATE_LIMITED
    retry_after_seconds: int


class InvalidReply(_Reply):
    kind: Literal[ReplyKind.INVALID] = ReplyKind.INVALID
    usage: str | None = Field(default=None, description="the command's usage line, if known")


class HelpReply(_Reply):
    kind: Literal[ReplyKind.HELP] = ReplyKind.HELP


class ErrorReply(_Reply):
    kind: Literal[ReplyKind.ERROR] = ReplyKind.ERROR
    plan: Plan | None = Field(default=None, description="the plan that could not be handled")


class DuplicateReply(_Reply):
    """The event was handled before (another delivery or replica): post nothing."""

    kind: Literal[ReplyKind.DUPLICATE] = ReplyKind.DUPLICATE
    text: str = ""


Reply = Annotated[
    ResultReply
    | AnswerReply
    | NeedsApprovalReply
    | DeniedReply
    | RateLimitedReply
    | InvalidReply
    | HelpReply
    | ErrorReply
    | DuplicateReply,
    Field(discriminator="kind"),
]
"""What the service answers a request or an undo: one of the kinds above, each with exactly
the fields it has. Adapters `match` on the class (or `kind`)."""


class VoteKind(StrEnum):
    IGNORED = "ignored"  # a redelivered event, or no plan/vote to act on: post nothing
    ANSWERED = "answered"  # counted, withdrawn, rejected, or not counted (and why)
    REFUSED = "refused"  # the policy in force now denies the plan: closed, nothing ran
    EXECUTED = "executed"  # this vote completed the approval and the plan ran


class _VoteReply(BaseModel):
    model_config = ConfigDict(frozen=True)

    result: VoteResult = Field(description="what the store made of the vote")
    text: str = Field(description="short answer for the voter (may be empty for plain counts)")


class VoteIgnored(_VoteReply):
    """A redelivered event (DUPLICATE_EVENT), or a message with no plan or no vote to
    withdraw (NOT_FOUND): post nothing."""

    kind: Literal[VoteKind.IGNORED] = VoteKind.IGNORED
    result: Literal[VoteResult.DUPLICATE_EVENT, VoteResult.NOT_FOUND]
    text: str = ""


class VoteAnswered(_VoteReply):
    """The vote was handled and nothing ran: `result` says how (recorded, withdrawn,
    rejected, stale, unauthorized, store unavailable, ...). Tell the voter `text`, or the
    thread `thread_notice` when there is one; refresh the preview from `approval`."""

    kind: Literal[VoteKind.ANSWERED] = VoteKind.ANSWERED
    thread_notice: str = Field(
        default="", description="for everyone in the thread: the policy changed while it waited"
    )
    approval: PendingApproval | None = Field(
        default=None, description="the approval as counted now (None: the store is away)"
    )
    state: ApprovalState | None = None


class PlanRefused(_VoteReply):
    """The policy in force now denies the plan: it is closed as refused and nothing ran.
    `text` (the reasons) is for everyone in the plan's thread."""

    kind: Literal[VoteKind.REFUSED] = VoteKind.REFUSED
    result: Literal[VoteResult.REFUSED] = VoteResult.REFUSED
    approval: PendingApproval | None = Field(
        default=None, description="the closed approval (None: deleted since)"
    )


class PlanExecuted(_VoteReply):
    """This vote completed the approval and the plan ran inside the call (`state`: done or
    failed, as `execution.ok` says); post the report in the thread."""

    kind: Literal[VoteKind.EXECUTED] = VoteKind.EXECUTED
    result: Literal[VoteResult.EXECUTE] = VoteResult.EXECUTE
    approval: PendingApproval
    state: ApprovalState
    execution: ExecutionReport


VoteReply = Annotated[
    VoteIgnored | VoteAnswered | PlanRefused | PlanExecuted, Field(discriminator="kind")
]
"""What the service answers a vote or a withdrawal: one of the kinds above. Adapters `match`
on the class (or `kind`)."""
