"""What the bot does for each Slack event, after the ack. Plain methods: Bolt listeners in app.py
only unpack payloads and call these. All decisions are the service's; this file renders and posts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack.blocks import (
    Emoji,
    Rendered,
    context,
    escape,
    execution_blocks,
    preview_blocks,
    reply_blocks,
    reply_from_approval,
)
from bot.adapters.slack.state import ShownPreview, SlackState
from bot.adapters.slack.users import UserDirectory
from bot.approvals.models import ApprovalState, PendingApproval, VoteResult
from bot.config import Settings
from bot.models import MessageRef, Principal, Request
from bot.render import EXPIRED_NOTICE, INTERRUPTED_PREVIEW_NOTE, interrupted_notice
from bot.replies import (
    DuplicateReply,
    ErrorReply,
    ExecutionReport,
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

log = logging.getLogger("opsbot.slack")

PLATFORM = "slack"
MAX_REQUEST_CHARS = 4000
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_ERRORS = (SlackApiError, SlackClientError, OSError)


WORKING = "eyes"
"""Reaction the bot puts on a request while it works on it (removed when it answers)."""


@dataclass(frozen=True)
class Incoming:
    """One request: a mention, a DM or an /ops command."""

    user: str
    channel: str
    text: str
    event_id: str
    thread_ts: str | None  # where replies go; None: post a new channel message (slash command)
    is_dm: bool = False
    command: str | None = None  # "/ops" for slash commands (echoed in the reply)
    ts: str | None = None  # the request message itself (None for slash commands)
    delivery: str | None = None  # the work-queue entry carrying it (Request.delivery)


class SlackFrontEnd:
    def __init__(
        self,
        *,
        service: ChatService,
        client: WebClient,
        settings: Settings,
        users: UserDirectory,
        state: SlackState,
    ) -> None:
        self.service = service
        self.client = client
        self.settings = settings
        self.users = users
        self.state = state
        self.emoji = Emoji(settings.approve_emoji, settings.reject_emoji, settings.undo_emoji)

    # ------------------------------------------------------------------ requests
    def serves(self, channel: str, *, is_dm: bool) -> bool:
        return is_dm or not self.settings.slack_channels or channel in self.settings.slack_channels

    def handle_request(
        self, incoming: Incoming, *, respond: Callable[[str], object] | None = None
    ) -> None:
        if not self.serves(incoming.channel, is_dm=incoming.is_dm):
            # A queued request was de-duplicated when it was recorded; its only second
            # handling is a takeover after its worker died, which must still refuse.
            if incoming.delivery is not None or self.state.claim(f"refused:{incoming.event_id}"):
                self._refuse(incoming, respond)
            return
        text = _MENTION.sub("", incoming.text).strip()
        working = False  # the :eyes: reaction on the request while it is handled
        if len(text) > MAX_REQUEST_CHARS:
            reply: Reply = InvalidReply(
                text=f"That request is {len(text)} characters long; the limit is "
                f"{MAX_REQUEST_CHARS}. Send a shorter command.",
            )
        else:
            request = Request(
                principal=self.users.principal(incoming.user),
                text=text or "help",
                source=PLATFORM,
                channel=incoming.channel,
                thread=incoming.thread_ts,
                event_id=incoming.event_id,
                delivery=incoming.delivery,
            )
            working = incoming.ts is not None and self._call(
                "reactions_add", channel=incoming.channel, timestamp=incoming.ts, name=WORKING
            )
            try:
                reply = self.service.handle_request(request)
            except Exception:  # the service answers errors as replies; this is a bug
                log.exception("handling request %s failed", incoming.event_id)
                reply = ErrorReply(
                    text="Something went wrong on my side while handling this request; "
                    "the details are in the bot's log. Try again, or ask your "
                    "platform team if it keeps failing.",
                )
        if isinstance(reply, DuplicateReply):
            return  # another delivery of this event owns the request (and the reaction)
        shown_text = f"{incoming.command} {text}" if incoming.command else None
        try:
            self._post_request_reply(reply, incoming, shown_text, respond)
        finally:
            if working:
                self._call(
                    "reactions_remove",
                    channel=incoming.channel,
                    timestamp=incoming.ts,
                    name=WORKING,
                )

    def _post_request_reply(
        self,
        reply: Reply,
        incoming: Incoming,
        shown_text: str | None,
        respond: Callable[[str], object] | None,
    ) -> None:
        try:
            self.post_reply(
                reply,
                channel=incoming.channel,
                thread_ts=incoming.thread_ts,
                requester=incoming.user,
                request_text=shown_text,
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if respond is None or error not in {
                "not_in_channel",
                "channel_not_found",
                "is_archived",
            }:
                raise
            respond(
                f"I cannot post in this channel ({error}). Invite me with `/invite @opsbot` "
                f"and run the command again.\n\n{escape(reply.text)}"
            )

    def _refuse(self, incoming: Incoming, respond: Callable[[str], object] | None) -> None:
        served = ", ".join(f"<#{c}>" for c in self.settings.slack_channels)
        text = (
            f"Sorry, I don't take requests in this channel. Please ask in {served} "
            "or send me a direct message."
        )
        if respond is not None:
            respond(text)
            return
        self._call(
            "chat_postMessage", channel=incoming.channel, thread_ts=incoming.thread_ts, text=text
        )

    def post_reply(
        self,
        reply: Reply,
        *,
        channel: str,
        thread_ts: str | None,
        requester: str | None,
        request_text: str | None,
    ) -> str:
        """Post a reply (a preview waiting for votes, or anything else) and return its ts."""
        if isinstance(reply, NeedsApprovalReply):
            return self._post_preview(
                reply,
                channel=channel,
                thread_ts=thread_ts,
                requester=requester,
                request_text=request_text,
            )
        rendered = reply_blocks(
            reply,
            emoji=self.emoji,
            max_chars=self.settings.max_output_chars,
            requester=requester if request_text else None,
            request_text=request_text,
        )
        ts = self._post(rendered, channel=channel, thread_ts=thread_ts)
        self._upload(rendered, channel=channel, thread_ts=thread_ts or ts)
        return ts

    def _post_preview(
        self,
        reply: NeedsApprovalReply,
        *,
        channel: str,
        thread_ts: str | None,
        requester: str | None,
        request_text: str | None,
    ) -> str:
        rendered = preview_blocks(
            reply,
            status="pending",
            emoji=self.emoji,
            requester=requester,
            request_text=request_text,
        )
        ts = self._post(rendered, channel=channel, thread_ts=thread_ts)
        message = MessageRef(platform=PLATFORM, channel=channel, ts=ts)
        self.state.save_preview(
            message,
            ShownPreview(
                digest=reply.plan.digest,
                requester=requester,
                request_text=request_text,
                thread_ts=thread_ts or ts,
            ),
        )
        self.service.attach_message(reply.approval_id, message)
        for name in (self.emoji.approve, self.emoji.reject):  # one-click voting
            self._call("reactions_add", channel=channel, timestamp=ts, name=name)
        return ts

    # ------------------------------------------------------------------ reactions
    def handle_reaction(
        self,
        *,
        user: str,
        reaction: str,
        channel: str,
        ts: str,
        event_id: str,
        added: bool,
        bot_user_id: str | None,
        event_ts: str | None = None,
        delivery: str | None = None,
    ) -> None:
        """`event_ts`: Slack's time of the event; orders one user's add and remove on a plan
        however late or out of order they are delivered (None: the time it is handled).
        `delivery`: the work-queue entry carrying the event (Request.delivery)."""
        if user == bot_user_id:
            return
        name = reaction.split("::", 1)[0]  # drop skin tones
        message = MessageRef(platform=PLATFORM, channel=channel, ts=ts)
        if name == self.emoji.undo and added:
            self._undo(message, user=user, event_id=event_id, delivery=delivery)
            return
        if name not in (self.emoji.approve, self.emoji.reject):
            return
        voter = self.users.principal(user)
        event_time = slack_time(event_ts) if event_ts else None
        shown = self.state.load_preview(message)
        # The vote is for the plan this message shows; a different digest never counts.
        shown_digest = shown.digest if shown else None
        if name == self.emoji.reject:
            if added:
                self._after_vote(
                    message,
                    voter,
                    self.service.vote(
                        message=message,
                        voter=voter,
                        approve=False,
                        event_id=event_id,
                        delivery=delivery,
                        event_time=event_time,
                        shown_digest=shown_digest,
                    ),
                )
            return
        if added:
            result = self.service.vote(
                message=message,
                voter=voter,
                approve=True,
                event_id=event_id,
                delivery=delivery,
                event_time=event_time,
                shown_digest=shown_digest,
                on_executing=lambda approval: self.update_preview(
                    message,
                    status="executing",
                    approval=approval,
                    tally=approval.tally(),
                    note=f"approved by <@{voter.id}>",
                ),
            )
        else:
            result = self.service.withdraw_vote(
                message=message,
                voter=voter,
                event_id=event_id,
                delivery=delivery,
                event_time=event_time,
            )
        self._after_vote(message, voter, result)

    def _after_vote(self, message: MessageRef, voter: Principal, vote: VoteReply) -> None:
        match vote:
            case VoteIgnored():
                return
            case PlanExecuted(approval=approval, state=state, execution=execution):
                self.update_preview(
                    message,
                    status=state.value,
                    approval=approval,
                    tally=approval.tally(),
                    note=_approvers_note(approval),
                )
                self.post_execution(message, execution)
            case PlanRefused(approval=approval, text=text):
                self.update_preview(
                    message, status=ApprovalState.REFUSED.value, approval=approval, note="refused"
                )
                self._thread_notice(message, text)
            case VoteAnswered():
                self._show_answer(message, voter, vote)

    def _show_answer(self, message: MessageRef, voter: Principal, vote: VoteAnswered) -> None:
        """Refresh the preview for what the vote changed, then tell the thread (the policy
        changed) or else the voter alone."""
        approval = vote.approval
        match vote.result:
            case VoteResult.RECORDED | VoteResult.WITHDRAWN:
                tally = approval.tally() if approval else None
                self.update_preview(message, status="pending", approval=approval, tally=tally)
            case VoteResult.REJECTED:
                self.update_preview(
                    message,
                    status=ApprovalState.REJECTED.value,
                    approval=approval,
                    note=f"rejected by <@{voter.id}>",
                )
            case VoteResult.EXPIRED:
                self.update_preview(message, status=ApprovalState.EXPIRED.value, approval=approval)
            case _:
                pass
        if vote.thread_notice:
            self._thread_notice(message, vote.thread_notice)
        elif vote.text:
            self._ephemeral(message, user=voter.id, text=vote.text)

    def _thread_notice(self, message: MessageRef, text: str) -> None:
        self._call(
            "chat_postMessage",
            channel=message.channel,
            thread_ts=self._thread_of(message),
            text=escape(text),
        )

    def _undo(self, message: MessageRef, *, user: str, event_id: str, delivery: str | None) -> None:
        approval = self.service.approval_for_message(message)
        if approval is None:
            return  # the emoji on some other message: not ours
        requester = self.users.principal(user)
        reply = self.service.request_undo(
            message=message, requester=requester, event_id=event_id, delivery=delivery
        )
        if isinstance(reply, DuplicateReply):
            return
        if isinstance(reply, InvalidReply) or (isinstance(reply, ErrorReply) and not reply.plan):
            self._ephemeral(message, user=user, text=reply.text)
            return
        self.post_reply(
            reply,
            channel=message.channel,
            thread_ts=self._thread_of(message),
            requester=user,
            request_text="undo",
        )

    # ------------------------------------------------------------------ status and results
    def update_preview(
        self,
        message: MessageRef,
        *,
        status: str,
        approval: PendingApproval | None = None,
        tally: list[int] | None = None,
        note: str | None = None,
    ) -> None:
        """Render the preview again from the approval (the one given, else the store's)."""
        approval = approval or self.service.approval_for_message(message)
        if approval is None:
            return
        shown = self.state.load_preview(message) or ShownPreview(requester=approval.requester.id)
        rendered = preview_blocks(
            reply_from_approval(approval),
            status=status,
            emoji=self.emoji,
            requester=shown.requester,
            request_text=shown.request_text,
            tally=tally,
            note=note,
        )
        self._call(
            "chat_update",
            channel=message.channel,
            ts=message.ts,
            text=rendered.text,
            blocks=rendered.blocks,
        )

    def post_execution(self, message: MessageRef, report: ExecutionReport) -> None:
        thread = self._thread_of(message)
        rendered = execution_blocks(
            report, emoji=self.emoji, max_chars=self.settings.max_output_chars
        )
        self._post(rendered, channel=message.channel, thread_ts=thread)
        self._upload(rendered, channel=message.channel, thread_ts=thread)

    def close_expired(self, approval: PendingApproval) -> None:
        self._close_in_thread(
            approval,
            status=ApprovalState.EXPIRED,
            note=None,
            notice=":hourglass: " + EXPIRED_NOTICE,
        )

    def close_interrupted(self, approval: PendingApproval) -> None:
        self._close_in_thread(
            approval,
            status=ApprovalState.FAILED,
            note=INTERRUPTED_PREVIEW_NOTE,
            notice=":warning: " + interrupted_notice(escape(approval.plan.describe())),
        )

    def _close_in_thread(
        self, approval: PendingApproval, *, status: ApprovalState, note: str | None, notice: str
    ) -> None:
        """Show a final status on the preview (if Slack showed it) and say why in its thread."""
        if approval.message is None or approval.message.platform != PLATFORM:
            return
        self.update_preview(
            approval.message,
            status=status.value,
            approval=approval,
            tally=approval.tally(),
            note=note,
        )
        self._call(
            "chat_postMessage",
            channel=approval.message.channel,
            thread_ts=self._thread_of(approval.message),
            text=notice,
        )

    def _thread_of(self, message: MessageRef) -> str:
        shown = self.state.load_preview(message)
        return shown.thread_ts if shown and shown.thread_ts else message.ts

    # ------------------------------------------------------------------ Slack calls
    def _post(self, rendered: Rendered, *, channel: str, thread_ts: str | None) -> str:
        response = self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=rendered.text,
            blocks=rendered.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def _upload(self, rendered: Rendered, *, channel: str, thread_ts: str) -> None:
        for filename, content in rendered.files:
            try:
                self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    content=content,
                    filename=filename,
                    title=filename,
                )
            except _SLACK_ERRORS as exc:
                log.warning("upload of %s failed: %s", filename, exc)
                error = escape(
                    str(exc.response.get("error")) if isinstance(exc, SlackApiError) else str(exc)
                )
                self._call(
                    "chat_postMessage",
                    channel=channel,
                    thread_ts=thread_ts,
                    text=f"The full output ({filename}) could not be attached: {error}. "
                    "It is shown truncated above.",
                    blocks=[
                        context(
                            f"The full output (`{filename}`) could not be attached "
                            f"({error}); it is shown truncated above."
                        )
                    ],
                )

    def _ephemeral(self, message: MessageRef, *, user: str, text: str) -> None:
        """A private note from a reply's text (a vote's outcome, an undo refusal): escaped."""
        self._call(
            "chat_postEphemeral",
            channel=message.channel,
            user=user,
            text=escape(text),
            thread_ts=self._thread_of(message),
        )

    def _call(self, method: str, **kwargs: object) -> bool:
        """A best-effort Slack call: failures are logged, never raised into the event flow."""
        try:
            getattr(self.client, method)(**kwargs)
            return True
        except _SLACK_ERRORS as exc:
            log.warning("Slack %s failed: %s", method, exc)
            return False


def slack_time(event_ts: str) -> datetime:
    """Slack's `event_ts` ("1700000000.123456") as an exact datetime (no float rounding)."""
    seconds, _, fraction = event_ts.partition(".")
    micros = int((fraction + "000000")[:6])
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micros)


def _approvers_note(approval: PendingApproval) -> str | None:
    if not approval.votes:
        return None
    return "approved by " + ", ".join(f"<@{v}>" for v in approval.votes)
