"""Slack's durable intake. The receiver (Bolt, HTTP or Socket Mode) records every request,
vote, withdrawal and undo in the work queue and only then acks; a Slack request that could not
be recorded is answered 500 (HTTP) or not acked (Socket Mode), so Slack retries it. Workers
(threads here or other processes, on any replica) unpack the recorded payloads and call the
SlackFrontEnd methods.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.adapters.slack.frontend import Incoming, SlackFrontEnd
from bot.workqueue import Delivery, WorkQueue

log = logging.getLogger("opsbot.slack.intake")

COMMAND = "/ops"
MENTION = "slack.mention"
DIRECT = "slack.dm"
SLASH = "slack.command"
REACTION_ADDED = "slack.reaction_added"
REACTION_REMOVED = "slack.reaction_removed"


# ---------------------------------------------------------------------- the ack path
def register_recorders(app: App, queue: WorkQueue) -> None:
    """Every listener records its payload, then acks. A QueueUnavailable propagates: Bolt
    answers 500 and acks nothing."""

    def event_recorder(kind: str) -> Any:
        def record(body: dict[str, Any], event: dict[str, Any], context: Any, ack: Ack) -> None:
            if _worth_recording(kind, event):
                event_id = event_id_of(body, event)
                queue.put(
                    kind,
                    {
                        "event_id": event_id,
                        "event": event,
                        "bot_user_id": context.get("bot_user_id"),
                    },
                    dedupe_key=f"slack:{event_id}",
                )
            ack()

        return record

    def record_command(command: dict[str, Any], ack: Ack) -> None:
        # the deprecated verification token is a credential: never stored (requests are
        # verified by signature before this listener runs)
        kept = {k: v for k, v in command.items() if k != "token"}
        queue.put(SLASH, {"command": kept}, dedupe_key=f"slack:{command_event_id(command)}")
        ack()

    app.event("app_mention")(event_recorder(MENTION))
    app.event("message")(event_recorder(DIRECT))
    app.command(COMMAND)(record_command)
    app.event("reaction_added")(event_recorder(REACTION_ADDED))
    app.event("reaction_removed")(event_recorder(REACTION_REMOVED))


def _worth_recording(kind: str, event: dict[str, Any]) -> bool:
    if kind == DIRECT:  # DMs from people only: no edits, joins, or the bot's own messages
        return (
            event.get("channel_type") == "im"
            and not event.get("subtype")
            and not event.get("bot_id")
            and bool(event.get("user"))
        )
    if kind in (REACTION_ADDED, REACTION_REMOVED):
        return (event.get("item") or {}).get("type") == "message"
    return True


def event_id_of(body: dict[str, Any], event: dict[str, Any]) -> str:
    """Slack's event_id is the same on every retry and on every replica: the idempotency key."""
    event_id = body.get("event_id")
    if event_id:
        return str(event_id)
    when = event.get("event_ts") or event.get("ts")
    return f"{event.get('type')}:{event.get('channel') or ''}:{when}"


def command_event_id(command: dict[str, Any]) -> str:
    """trigger_id is unique per invocation; Slack never retries slash commands."""
    return f"cmd:{command.get('trigger_id') or command.get('response_url')}"


# ---------------------------------------------------------------------- the workers
class SlackWork:
    """The worker's side: one recorded payload -> one SlackFrontEnd call."""

    def __init__(self, frontend: SlackFrontEnd) -> None:
        self.frontend = frontend

    def handle(self, delivery: Delivery) -> None:
        payload = delivery.payload
        if delivery.kind == SLASH:
            command = payload["command"]
            self.frontend.handle_request(
                incoming_command(command, delivery=delivery.id),
                respond=_responder(command.get("response_url")),
            )
            return
        event = payload["event"]
        if delivery.kind in (MENTION, DIRECT):
            self.frontend.handle_request(
                incoming_message(
                    event,
                    payload["event_id"],
                    is_dm=delivery.kind == DIRECT,
                    delivery=delivery.id,
                )
            )
        elif delivery.kind in (REACTION_ADDED, REACTION_REMOVED):
            item = event.get("item") or {}
            self.frontend.handle_reaction(
                user=event["user"],
                reaction=event["reaction"],
                channel=item["channel"],
                ts=item["ts"],
                event_id=payload["event_id"],
                added=delivery.kind == REACTION_ADDED,
                bot_user_id=payload.get("bot_user_id"),
                event_ts=event.get("event_ts"),
                delivery=delivery.id,
            )
        else:
            log.error("unknown work kind %r in %s: dropped", delivery.kind, delivery.id)

    def give_up(self, delivery: Delivery) -> None:
        """An entry whose workers kept dying or failing: tell the requester (or the voter,
        privately), once."""
        text = (
            ":warning: I could not handle this request: it failed "
            f"{delivery.attempts - 1} times, so I gave up (nothing more will be tried). "
            "The details are in the bot's log; try again, or ask your platform team."
        )
        payload = delivery.payload
        if delivery.kind == SLASH:
            _responder(payload["command"].get("response_url"))(text)
        elif delivery.kind in (MENTION, DIRECT):
            event = payload["event"]
            self.frontend.client.chat_postMessage(
                channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=text
            )
        elif delivery.kind in (REACTION_ADDED, REACTION_REMOVED):
            event = payload["event"]
            item = event.get("item") or {}
            verb = "adding" if delivery.kind == REACTION_ADDED else "removing"
            self.frontend.client.chat_postEphemeral(
                channel=item["channel"],
                user=event["user"],
                text=f":warning: I could not handle your {verb} :{event['reaction']}: "
                f"(it failed {delivery.attempts - 1} times, so I gave up). It has not been "
                "counted: remove the reaction and add it again, or ask your platform team.",
            )


def incoming_message(
    event: dict[str, Any], event_id: str, *, is_dm: bool, delivery: str | None = None
) -> Incoming:
    return Incoming(
        user=event["user"],
        channel=event["channel"],
        text=event.get("text", ""),
        event_id=event_id,
        thread_ts=event.get("thread_ts") or event["ts"],
        is_dm=is_dm,
        ts=event["ts"],
        delivery=delivery,
    )


def incoming_command(command: dict[str, Any], *, delivery: str | None = None) -> Incoming:
    channel = command["channel_id"]
    return Incoming(
        user=command["user_id"],
        channel=channel,
        text=command.get("text", ""),
        event_id=command_event_id(command),
        thread_ts=None,
        is_dm=channel.startswith("D"),
        command=command.get("command") or COMMAND,
        delivery=delivery,
    )


def _responder(response_url: str | None) -> Any:
    """Private replies to a slash command, through its response_url (valid 30 minutes)."""

    def reply_privately(text: str) -> None:
        if not response_url:
            log.warning("a slash command without response_url: reply dropped")
            return
        try:
            response = WebhookClient(response_url, timeout=10).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("reply through response_url failed: %s", exc)
            return
        if response.status_code != 200:
            log.warning("reply through response_url answered HTTP %d", response.status_code)

    return reply_privately
