"""What the bot does for each Matrix event. It renders and posts; the service decides.

Requests: `!ops ...`, a mention of the bot, or any text in a direct message. Replies go in the
request's thread (m.thread). A preview is posted, bound with `attach_message`, and edited in
place (m.replace) as its plan moves on. Votes: m.reaction annotations on the preview with the
configured emoji; the redaction of an approving reaction withdraws it. Every call carries the
Matrix event id (claimed once by the service, so replicas syncing the same events act once)
and its origin_server_ts (orders one voter's approve and withdrawal).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.adapters.matrix import render
from bot.adapters.matrix.client import MatrixClient, MatrixError, thread_relation
from bot.adapters.matrix.render import Emoji, Rendered
from bot.adapters.matrix.state import MatrixState, Reaction, ShownPreview
from bot.adapters.matrix.users import MatrixPrincipals
from bot.approvals.models import ApprovalState, PendingApproval, VoteResult
from bot.config import Settings
from bot.models import MessageRef, Request
from bot.render import EXPIRED_NOTICE, INTERRUPTED_PREVIEW_NOTE, interrupted_notice
from bot.replies import (
    DuplicateReply,
    ErrorReply,
    InvalidReply,
    NeedsApprovalReply,
    PlanExecuted,
    PlanRefused,
    Reply,
    VoteAnswered,
    VoteIgnored,
    VoteReply,
)
from bot.service import ChatService

log = logging.getLogger("opsbot.matrix")

PLATFORM = "matrix"
PREFIX = "!ops"
MAX_REQUEST_CHARS = 4000
SLACK_NAMES = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "+1": "👍",
    "x": "❌",
    "-1": "👎",
    "leftwards_arrow_with_hook": "↩️",
}
"""The Slack emoji settings (OPSBOT_APPROVE_EMOJI ...) as the characters Matrix reactions carry."""


def emoji_from(settings: Settings) -> Emoji:
    def char(name: str) -> str:
        return SLACK_NAMES.get(name.strip(":"), name)

    return Emoji(
        char(settings.approve_emoji), char(settings.reject_emoji), char(settings.undo_emoji)
    )


def same_key(a: str, b: str) -> bool:
    """Reaction keys compared without emoji variation selectors (clients differ on U+FE0F)."""
    return a.replace("\ufe0f", "") == b.replace("\ufe0f", "")


def event_time(event: dict[str, Any]) -> datetime | None:
    ts = event.get("origin_server_ts")
    return datetime.fromtimestamp(ts / 1000, UTC) if isinstance(ts, int) else None


class MatrixFrontEnd:
    def __init__(
        self,
        *,
        service: ChatService,
        client: MatrixClient,
        settings: Settings,
        principals: MatrixPrincipals,
        state: MatrixState,
        served: Callable[[str], bool],
    ) -> None:
        self.service = service
        self.client = client
        self.settings = settings
        self.principals = principals
        self.state = state
        self.served = served
        self.emoji = emoji_from(settings)

    @property
    def me(self) -> str:
        return self.client.user_id

    # ------------------------------------------------------------------ requests
    def request_text(self, room_id: str, content: dict[str, Any]) -> str | None:
        """The request in a message, or None when the message is not for the bot."""
        if content.get("msgtype") != "m.text":
            return None
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            return None  # an edit of an earlier message; the original was the request
        body = str(content.get("body", "")).strip()
        if body == PREFIX or body.startswith(PREFIX + " "):
            return body[len(PREFIX) :].strip()
        mentions = (content.get("m.mentions") or {}).get("user_ids") or []
        localpart = self.me.split(":", 1)[0].lstrip("@")
        if self.me in mentions or self.me in body or self.me in str(content.get("formatted_body")):
            text = body.replace(self.me, "")
            return re.sub(rf"^\s*@?{re.escape(localpart)}\s*[:,]?", "", text).strip(" :,")
        if self.client.is_direct(room_id):
            return body
        return None

    async def on_message(self, room_id: str, event: dict[str, Any]) -> None:
        content = event.get("content") or {}
        text = self.request_text(room_id, content)
        if text is None or not self.served(room_id):
            return
        relates = content.get("m.relates_to") or {}
        root = relates["event_id"] if relates.get("rel_type") == "m.thread" else event["event_id"]
        sender = str(event["sender"])
        reply: Reply
        if len(text) > MAX_REQUEST_CHARS:
            reply = InvalidReply(
                text=f"That request is {len(text)} characters long; the limit is "
                f"{MAX_REQUEST_CHARS}. Send a shorter command."
            )
        else:
            request = Request(
                principal=self.principals.principal(sender, room_id=room_id),
                text=text or "help",
                source=PLATFORM,
                channel=room_id,
                thread=root,
                event_id=event["event_id"],
            )
            try:
                reply = await asyncio.to_thread(self.service.handle_request, request)
            except Exception:  # the service answers errors as replies; this is a bug
                log.exception("handling request %s failed", event["event_id"])
                reply = ErrorReply(
                    text="Something went wrong on my side while handling this request; the "
                    "details are in the bot's log. Try again, or ask your platform team."
                )
        if isinstance(reply, DuplicateReply):
            return  # another delivery or replica owns it
        await self.post_reply(
            reply, room_id=room_id, root=root, reply_to=event["event_id"], requester=sender
        )

    async def post_reply(
        self, reply: Reply, *, room_id: str, root: str, reply_to: str, requester: str
    ) -> str:
        if isinstance(reply, NeedsApprovalReply):
            rendered = render.preview(
                reply, status="pending", emoji=self.emoji, requester=requester
            )
            event_id = await self._post(rendered, room_id=room_id, root=root, reply_to=reply_to)
            self.state.save_preview(
                event_id, ShownPreview(reply=reply, requester=requester, thread_root=root)
            )
            message = MessageRef(platform=PLATFORM, channel=room_id, ts=event_id)
            await asyncio.to_thread(self.service.attach_message, reply.approval_id, message)
            for key in (self.emoji.approve, self.emoji.reject):  # one-click voting
                await self._quietly(self.client.react(room_id, event_id, key))
            return event_id
        rendered = render.reply(reply, emoji=self.emoji, max_chars=self.settings.max_output_chars)
        return await self._post(rendered, room_id=room_id, root=root, reply_to=reply_to)

    # ------------------------------------------------------------------ votes
    async def on_reaction(self, room_id: str, event: dict[str, Any]) -> None:
        relates = (event.get("content") or {}).get("m.relates_to") or {}
        sender = str(event["sender"])
        if relates.get("rel_type") != "m.annotation" or sender == self.me:
            return
        target, key = str(relates.get("event_id")), str(relates.get("key", ""))
        message = MessageRef(platform=PLATFORM, channel=room_id, ts=target)
        if same_key(key, self.emoji.undo):
            await self._undo(message, sender=sender, event=event)
            return
        approve = same_key(key, self.emoji.approve)
        if not approve and not same_key(key, self.emoji.reject):
            return
        shown = self.state.load_preview(target)
        if (
            shown is None
            and await asyncio.to_thread(self.service.approval_for_message, message) is None
        ):
            return  # a reaction on some other message
        self.state.save_reaction(
            event["event_id"],
            Reaction(room_id=room_id, preview_event_id=target, key=key, sender=sender),
        )
        voter = self.principals.principal(sender, room_id=room_id)
        loop = asyncio.get_running_loop()

        def executing(approval: PendingApproval) -> None:
            future = asyncio.run_coroutine_threadsafe(
                self.update_preview(
                    message,
                    status="executing",
                    approval=approval,
                    tally=approval.tally(),
                    note=f"approved by {sender}",
                ),
                loop,
            )
            try:
                future.result(timeout=30)
            except Exception as exc:  # noqa: BLE001  # the run goes on; the preview shows the result later
                log.warning("could not show 'executing' on %s: %s", target, exc)

        vote = await asyncio.to_thread(
            lambda: self.service.vote(
                message=message,
                voter=voter,
                approve=approve,
                event_id=event["event_id"],
                event_time=event_time(event),
                shown_digest=shown.reply.plan.digest if shown else None,
                on_executing=executing if approve else None,
            )
        )
        if isinstance(vote, VoteIgnored) and vote.result is VoteResult.DUPLICATE_EVENT:
            log.info(
                "reaction %s was already counted (by a replica, or redelivered)", event["event_id"]
            )
        await self._after_vote(message, sender, vote)

    async def on_redaction(self, room_id: str, event: dict[str, Any]) -> None:
        redacts = event.get("redacts") or (event.get("content") or {}).get("redacts")
        if not redacts:
            return
        reaction = self.state.load_reaction(str(redacts))
        if reaction is None or not same_key(reaction.key, self.emoji.approve):
            return  # not a vote of ours (removing a reject changes nothing, as on Slack)
        message = MessageRef(platform=PLATFORM, channel=room_id, ts=reaction.preview_event_id)
        voter = self.principals.principal(reaction.sender, room_id=room_id)
        vote = await asyncio.to_thread(
            lambda: self.service.withdraw_vote(
                message=message,
                voter=voter,
                event_id=event["event_id"],
                event_time=event_time(event),
            )
        )
        await self._after_vote(message, reaction.sender, vote)

    async def _after_vote(self, message: MessageRef, voter: str, vote: VoteReply) -> None:
        match vote:
            case VoteIgnored():
                return
            case PlanExecuted(approval=approval, state=state, execution=execution):
                voters = ", ".join(approval.votes) if approval.votes else None
                await self.update_preview(
                    message,
                    status=state.value,
                    approval=approval,
                    tally=approval.tally(),
                    note=f"approved by {voters}" if voters else None,
                )
                rendered = render.execution(
                    execution, emoji=self.emoji, max_chars=self.settings.max_output_chars
                )
                await self._post(rendered, room_id=message.channel, root=self._thread_of(message))
            case PlanRefused(approval=approval, text=text):
                await self.update_preview(
                    message, status=ApprovalState.REFUSED.value, approval=approval, note="refused"
                )
                await self._notice(message.channel, self._thread_of(message), text)
            case VoteAnswered():
                await self._show_answer(message, voter, vote)

    async def _show_answer(self, message: MessageRef, voter: str, vote: VoteAnswered) -> None:
        """Refresh the preview for what the vote changed, then tell the thread."""
        approval = vote.approval
        match vote.result:
            case VoteResult.RECORDED | VoteResult.WITHDRAWN:
                tally = approval.tally() if approval else None
                await self.update_preview(message, status="pending", approval=approval, tally=tally)
            case VoteResult.REJECTED:
                await self.update_preview(
                    message,
                    status=ApprovalState.REJECTED.value,
                    approval=approval,
                    note=f"rejected by {voter}",
                )
            case VoteResult.EXPIRED:
                await self.update_preview(
                    message, status=ApprovalState.EXPIRED.value, approval=approval
                )
            case _:
                pass
        notice = vote.thread_notice or (f"{voter}: {vote.text}" if vote.text else "")
        if notice:
            await self._notice(message.channel, self._thread_of(message), notice)

    async def _undo(self, message: MessageRef, *, sender: str, event: dict[str, Any]) -> None:
        if await asyncio.to_thread(self.service.approval_for_message, message) is None:
            return
        requester = self.principals.principal(sender, room_id=message.channel)
        reply = await asyncio.to_thread(
            lambda: self.service.request_undo(
                message=message, requester=requester, event_id=event["event_id"]
            )
        )
        if isinstance(reply, DuplicateReply):
            return
        await self.post_reply(
            reply,
            room_id=message.channel,
            root=self._thread_of(message),
            reply_to=message.ts,
            requester=sender,
        )

    # ------------------------------------------------------------------ status
    async def update_preview(
        self,
        message: MessageRef,
        *,
        status: str,
        approval: PendingApproval | None = None,
        tally: list[int] | None = None,
        note: str | None = None,
    ) -> None:
        shown = self.state.load_preview(message.ts)
        if shown is None:
            approval = approval or await asyncio.to_thread(
                self.service.approval_for_message, message
            )
            if approval is None:
                return
            shown = ShownPreview(
                reply=render.reply_from_approval(approval),
                requester=approval.requester.id,
                thread_root=message.ts,
            )
        rendered = render.preview(
            shown.reply,
            status=status,
            emoji=self.emoji,
            requester=shown.requester,
            tally=tally,
            note=note,
        )
        await self._quietly(self.client.edit(message.channel, message.ts, rendered.content()))

    async def close_expired(self, approval: PendingApproval) -> None:
        await self._close(
            approval,
            status=ApprovalState.EXPIRED,
            note=None,
            notice="⌛ " + EXPIRED_NOTICE,
        )

    async def close_interrupted(self, approval: PendingApproval) -> None:
        await self._close(
            approval,
            status=ApprovalState.FAILED,
            note=INTERRUPTED_PREVIEW_NOTE,
            notice="⚠️ " + interrupted_notice(approval.plan.describe()),
        )

    async def _close(
        self, approval: PendingApproval, *, status: ApprovalState, note: str | None, notice: str
    ) -> None:
        if approval.message is None or approval.message.platform != PLATFORM:
            return
        await self.update_preview(
            approval.message,
            status=status.value,
            approval=approval,
            tally=approval.tally(),
            note=note,
        )
        await self._notice(approval.message.channel, self._thread_of(approval.message), notice)

    def _thread_of(self, message: MessageRef) -> str:
        shown = self.state.load_preview(message.ts)
        return shown.thread_root if shown else message.ts

    # ------------------------------------------------------------------ posting
    async def _post(
        self, rendered: Rendered, *, room_id: str, root: str, reply_to: str | None = None
    ) -> str:
        content = {**rendered.content(), "m.relates_to": thread_relation(root, reply_to)}
        event_id = await self.client.send(room_id, content)
        for filename, text in rendered.files:
            try:
                await self.client.upload(room_id, filename=filename, text=text, thread_root=root)
            except MatrixError as exc:
                log.warning("upload of %s failed: %s", filename, exc)
                await self._notice(
                    room_id,
                    root,
                    f"The full output ({filename}) could not be "
                    f"attached ({exc}); it is shown truncated above.",
                )
        return event_id

    async def _notice(self, room_id: str, root: str, text: str) -> None:
        content = {"msgtype": "m.notice", "body": text, "m.relates_to": thread_relation(root)}
        await self._quietly(self.client.send(room_id, content))

    async def _quietly(self, call: Any) -> None:
        """A best-effort call (reactions, edits, notices): failures are logged, never raised."""
        try:
            await call
        except MatrixError as exc:
            log.warning("Matrix call failed: %s", exc)
