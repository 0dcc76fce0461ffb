"""The Bolt app: every listener acks at once and hands the payload to SlackFrontEnd in a lazy
listener (Bolt's thread pool), so Slack's 3-second limit never depends on Kubernetes or Docker.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.adapters.slack.frontend import Incoming, SlackFrontEnd
from bot.adapters.slack.setup import ensure_rate_limit_retries, make_web_client
from bot.adapters.slack.state import SlackState, state_from_url
from bot.adapters.slack.users import UserDirectory
from bot.config import Settings
from bot.service import OpsService

log = logging.getLogger("opsbot.slack")

COMMAND = "/ops"


@dataclass
class SlackBot:
    app: App
    frontend: SlackFrontEnd


def build_bot(
    *,
    service: OpsService,
    settings: Settings,
    client: WebClient | None = None,
    state: SlackState | None = None,
    users: UserDirectory | None = None,
    workers: int = 16,
) -> SlackBot:
    """The Bolt app plus the front end it calls. Calls auth.test once (Bolt checks the token).
    `users`: the directory the service was built with as its PrincipalResolver
    (`user_directory`), so requests, votes and counting read the same groups."""
    client = ensure_rate_limit_retries(client) if client is not None else make_web_client(settings)
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=client,
        signing_secret=secret,
        # without a secret only Socket Mode can serve (the HTTP server refuses to start)
        request_verification_enabled=secret is not None,
        # ack() runs in the request thread, lazy listeners in the pool. With False, Bolt would
        # queue the ack of a slash command in the same pool as the slow lazy work and poll for
        # it every 10 ms: a busy pool could then miss Slack's 3-second limit.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="opsbot-slack"
        ),
        logger=_bolt_logger(),
    )
    frontend = SlackFrontEnd(
        service=service,
        client=client,
        settings=settings,
        users=users or user_directory(settings, client),
        state=state or state_from_url(settings.redis_url, prefix=settings.key_prefix),
    )
    register_listeners(app, frontend)
    return SlackBot(app=app, frontend=frontend)


def user_directory(settings: Settings, client: WebClient) -> UserDirectory:
    """Slack user groups -> policy groups; give it to the service (`principals=`) and to
    `build_bot` (`users=`)."""
    return UserDirectory(
        client,
        group_map=settings.slack_group_map,
        ttl_seconds=settings.slack_groups_cache_seconds,
    )


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, without its start-up note that SLACK_BOT_TOKEN from the environment is
    unused (we hand it a configured client on purpose)."""
    logger = logging.getLogger("opsbot.slack.bolt")
    if not any(isinstance(f, _UnusedTokenNote) for f in logger.filters):
        logger.addFilter(_UnusedTokenNote())
    return logger


class _UnusedTokenNote(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "token will be unused" not in record.getMessage()


def _ack(ack: Ack) -> None:
    ack()


def register_listeners(app: App, frontend: SlackFrontEnd) -> None:
    def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        frontend.handle_request(
            Incoming(
                user=event["user"],
                channel=event["channel"],
                text=event.get("text", ""),
                event_id=_event_id(body, event),
                thread_ts=event.get("thread_ts") or event["ts"],
                ts=event["ts"],
            )
        )

    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, the bot's own messages
        if not event.get("user"):
            return
        frontend.handle_request(
            Incoming(
                user=event["user"],
                channel=event["channel"],
                text=event.get("text", ""),
                event_id=_event_id(body, event),
                thread_ts=event.get("thread_ts") or event["ts"],
                is_dm=True,
                ts=event["ts"],
            )
        )

    def on_command(command: dict[str, Any], respond: Respond) -> None:
        channel = command["channel_id"]

        def reply_privately(text: str) -> None:
            respond(text=text, response_type="ephemeral", replace_original=False)

        frontend.handle_request(
            Incoming(
                user=command["user_id"],
                channel=channel,
                text=command.get("text", ""),
                # trigger_id is unique per invocation; Slack never retries slash commands
                event_id=f"cmd:{command.get('trigger_id') or command.get('response_url')}",
                thread_ts=None,
                is_dm=channel.startswith("D"),
                command=command.get("command") or COMMAND,
            ),
            respond=reply_privately,
        )

    def on_reaction(added: bool) -> Any:
        def handle(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
            item = event.get("item") or {}
            if item.get("type") != "message":
                return
            frontend.handle_reaction(
                user=event["user"],
                reaction=event["reaction"],
                channel=item["channel"],
                ts=item["ts"],
                event_id=_event_id(body, event),
                added=added,
                bot_user_id=context.get("bot_user_id"),
                event_ts=event.get("event_ts"),
            )

        return handle

    app.event("app_mention")(ack=_ack, lazy=[_guard(on_mention)])
    app.event("message")(ack=_ack, lazy=[_guard(on_message)])
    app.command(COMMAND)(ack=_ack, lazy=[_guard(on_command)])
    app.event("reaction_added")(ack=_ack, lazy=[_guard(on_reaction(True))])
    app.event("reaction_removed")(ack=_ack, lazy=[_guard(on_reaction(False))])


def _event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    """Slack's event_id is the same on every retry and on every replica: the idempotency key."""
    event_id = body.get("event_id")
    if event_id:
        return str(event_id)
    when = event.get("event_ts") or event.get("ts")
    return f"{event.get('type')}:{event.get('channel') or ''}:{when}"


def _guard(listener: Any) -> Any:
    """Log failures in lazy listeners (Bolt would drop them) without losing Bolt's argument
    injection, which works by parameter name."""
    import functools

    @functools.wraps(listener)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            listener(*args, **kwargs)
        except Exception:
            log.exception("handling a Slack event failed")

    return guarded
