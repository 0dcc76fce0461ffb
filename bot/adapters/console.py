"""`opsbot console`: a terminal chat to try the bot without Slack.

Type requests as the current user; switch user with `/as NAME [group,group]`; approve with
`/approve [ID]`, reject with `/reject [ID]`, undo with `/undo [ID]`; `/pending` lists open
approvals; `/quit` leaves. Reads stdin line by line, so it can be scripted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.models import MessageRef, Principal, Request
from bot.render import interrupted_notice
from bot.replies import NeedsApprovalReply, PlanExecuted, VoteAnswered
from bot.service import ChatService

HELP = (
    "Console commands: /as USER [g1,g2]  /approve [ID]  /reject [ID]  /undo [ID]  /pending  "
    "/whoami  /quit.  Anything else is a request (try `help`)."
)


class ConsoleChat:
    def __init__(
        self,
        *,
        service: ChatService,
        user: Principal,
        out: TextIO,
        interrupted_after_seconds: int = 900,
    ) -> None:
        self.service = service
        self.interrupted_after_seconds = interrupted_after_seconds
        self.user = user
        self.out = out
        self.last_approval: str | None = None
        self.last_done: str | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self, lines: Iterable[str], *, prompt: bool = False) -> None:
        self.say(HELP)
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if line in {"/quit", "/exit"}:
                break
            self.handle(line)
            if prompt:
                print(f"{self.user.id}> ", end="", file=self.out, flush=True)

    def handle(self, line: str) -> None:
        command, _, rest = line.partition(" ")
        match command:
            case "/as":
                self._switch_user(rest)
            case "/whoami":
                groups = ", ".join(sorted(self.user.groups)) or "no groups"
                self.say(f"You are {self.user.id} ({groups}).")
            case "/approve" | "/reject":
                self._vote(rest.strip() or self.last_approval, approve=command == "/approve")
            case "/undo":
                self._undo(rest.strip() or self.last_done)
            case "/pending":
                self._pending()
            case _ if command.startswith("/") and command not in {"/ops"}:
                self.say(f"Unknown console command {command}. {HELP}")
            case _:
                self._request(line)

    def _switch_user(self, rest: str) -> None:
        name, _, groups = rest.strip().partition(" ")
        if not name:
            self.say("Usage: /as USER [group1,group2]")
            return
        self.user = Principal(id=name, groups=frozenset(g for g in groups.split(",") if g))
        self.say(f"Now acting as {name}.")

    def _request(self, text: str) -> None:
        reply = self.service.handle_request(
            Request(principal=self.user, text=text, source="console", event_id=None)
        )
        self.say(f"[{reply.kind.value}]")
        self.say(reply.text)
        if isinstance(reply, NeedsApprovalReply):
            self.service.attach_message(reply.approval_id, _ref(reply.approval_id))
            self.last_approval = reply.approval_id
            self.say(f"Waiting for approval: /approve {reply.approval_id} (as an approver)")

    def _vote(self, approval_id: str | None, *, approve: bool) -> None:
        if not approval_id:
            self.say("No approval to vote on; give its id: /approve ID")
            return
        vote = self.service.vote(
            message=_ref(approval_id),
            voter=self.user,
            approve=approve,
            event_time=datetime.now(UTC),  # the console's event time is when it was typed
            on_executing=lambda approval: self.say(f"[executing] {approval.plan.describe()} ..."),
        )
        self.say(f"[{vote.result.value}] {vote.text}".rstrip())
        match vote:
            case VoteAnswered(thread_notice=notice) if notice and notice != vote.text:
                self.say(notice)
            case PlanExecuted(execution=execution):
                if execution.ok:
                    self.last_done = approval_id
                if execution.undo_plan is not None:
                    self.say(f"Undo with: /undo {approval_id}")
            case _:
                pass  # ignored, refused (its text is the notice), or an answer said above

    def _undo(self, approval_id: str | None) -> None:
        if not approval_id:
            self.say("Nothing to undo; give the approval id: /undo ID")
            return
        reply = self.service.request_undo(message=_ref(approval_id), requester=self.user)
        self.say(f"[{reply.kind.value}]")
        self.say(reply.text)
        if isinstance(reply, NeedsApprovalReply):
            self.service.attach_message(reply.approval_id, _ref(reply.approval_id))
            self.last_approval = reply.approval_id

    def _pending(self) -> None:
        interrupted = self.service.recover_interrupted(
            older_than_seconds=self.interrupted_after_seconds
        )
        for approval in interrupted:
            self.say(
                f"[interrupted] {approval.id}  by {approval.requester.id}  "
                + interrupted_notice(approval.plan.describe())
            )
        pending = self.service.pending_approvals()
        if not pending:
            self.say("No pending approvals.")
        for approval in pending:
            self.say(
                f"{approval.id}  by {approval.requester.id}  {approval.plan.describe()}  "
                f"expires {approval.expires_at:%H:%M:%S}"
            )


def _ref(approval_id: str) -> MessageRef:
    return MessageRef(platform="console", channel="console", ts=approval_id)
