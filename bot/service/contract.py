"""The contract between the service and a chat front end (Slack, the console; next a Matrix
adapter and an alert receiver). A front end turns platform events into these calls and renders
what comes back; it decides nothing. Every event carries the platform's event id (a redelivery
answers DUPLICATE / DUPLICATE_EVENT and must post nothing) and, for votes, the platform's event
time (it orders one voter's approve and withdrawal however late either arrives).

The loop: `handle_request` -> a NeedsApprovalReply is posted, then `attach_message(approval_id,
message)` binds the post; votes and withdrawals name that message (and the digest it shows);
a vote answers one case of `VoteReply` (bot/replies.py): VoteIgnored (a redelivery or nothing
to act on: post nothing), VoteAnswered (counted, withdrawn, rejected or not counted),
PlanRefused (the policy in force now denies the plan: closed, tell its thread) or PlanExecuted
(the vote completed the approval and the plan ran inside the call, `on_executing` told first;
it carries the ExecutionReport); `request_undo` on the same
message puts the inverse plan up for approval like any request. The sweeps `expire_due` and
`recover_interrupted` return the approvals the front end should close in their threads.

Groups: a front end whose platform gives users groups (Slack user groups) hands the service a
`PrincipalResolver` (bot/service/ports.py) through its constructor (`OpsService(principals=)`,
`wiring.build(principals=)`). The groups on a Principal passed in here are used for that call
only; whenever an approval is counted or re-evaluated (every vote, withdrawal, the run), the
requester and every voter are resolved again with `principals.current(...)`: someone removed
from a platform group no longer counts as requester or approver. Front ends without platform
groups use `AsGiven`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Protocol

from bot.approvals.models import PendingApproval
from bot.models import MessageRef, Principal, Request
from bot.replies import Reply, VoteReply


class ChatService(Protocol):
    def handle_request(self, request: Request) -> Reply:
        """A request in words (`request.event_id`: the platform's id, claimed once; `delivery`
        on every entry point: the work-queue entry carrying the event, Request.delivery)."""
        ...

    def attach_message(self, approval_id: str, message: MessageRef) -> None:
        """Bind the posted preview to its approval; votes arrive by message."""
        ...

    def vote(
        self,
        *,
        message: MessageRef,
        voter: Principal,
        approve: bool,
        event_id: str | None = None,
        delivery: str | None = None,
        event_time: datetime | None = None,
        on_executing: Callable[[PendingApproval], None] | None = None,
        shown_digest: str | None = None,
    ) -> VoteReply:
        """Approve or reject the plan shown in `message` (`shown_digest`: the plan's digest
        the voter saw; any other never counts). A requester's own reject cancels their plan."""
        ...

    def withdraw_vote(
        self,
        *,
        message: MessageRef,
        voter: Principal,
        event_id: str | None = None,
        delivery: str | None = None,
        event_time: datetime | None = None,
    ) -> VoteReply: ...

    def request_undo(
        self,
        *,
        message: MessageRef,
        requester: Principal,
        event_id: str | None = None,
        delivery: str | None = None,
    ) -> Reply:
        """Put the inverse of the completed plan shown in `message` up for approval."""
        ...

    def approval_for_message(self, message: MessageRef) -> PendingApproval | None:
        """The approval shown in `message`, counted under the policy in force."""
        ...

    def pending_approvals(self) -> list[PendingApproval]: ...

    def expire_due(self, *, platforms: Collection[str] | None = None) -> list[PendingApproval]:
        """Close approvals past their expiry; returns them (each to one caller). `platforms`:
        only those whose preview is on one of them (or on none); None: all."""
        ...

    def recover_interrupted(
        self, *, older_than_seconds: int = 900, platforms: Collection[str] | None = None
    ) -> list[PendingApproval]:
        """Fail plans left executing by a stopped replica (never re-run); returns them.
        `platforms`: as for `expire_due`."""
        ...
