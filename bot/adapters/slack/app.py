"""The Bolt app: every listener records its payload in the work queue and acks
(bot/adapters/slack/intake.py); workers (threads of this process, or worker processes built by
`opsbot serve --workers N`) take the recorded work and call SlackFrontEnd, so Slack's 3-second
limit never depends on Kubernetes, Docker or the interpreter lock held by slow work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.adapters.slack.frontend import SlackFrontEnd
from bot.adapters.slack.intake import SlackWork, register_recorders
from bot.adapters.slack.setup import ensure_rate_limit_retries, make_web_client
from bot.adapters.slack.state import SlackState, state_from_url
from bot.adapters.slack.users import UserDirectory
from bot.config import Settings
from bot.service import OpsService
from bot.workqueue import MemoryWorkQueue, WorkerPool, WorkQueue

log = logging.getLogger("opsbot.slack")


@dataclass
class SlackBot:
    """`workers`: threads working `queue` in this process, not started (`workers.start()`);
    `opsbot serve --workers N` (N > 0) runs worker processes instead."""

    app: App
    frontend: SlackFrontEnd
    queue: WorkQueue
    workers: WorkerPool


def build_bot(
    *,
    service: OpsService,
    settings: Settings,
    client: WebClient | None = None,
    state: SlackState | None = None,
    users: UserDirectory | None = None,
    queue: WorkQueue | None = None,
    workers: int = 16,
) -> SlackBot:
    """The Bolt app plus the front end its workers call. Calls auth.test once (Bolt checks
    the token). `users`: the directory the service was built with as its PrincipalResolver
    (`user_directory`), so requests, votes and counting read the same groups. `queue`: where
    the receiver records work (default: in memory, this process only); `workers`: threads of
    the returned, unstarted WorkerPool."""
    client = ensure_rate_limit_retries(client) if client is not None else make_web_client(settings)
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=client,
        signing_secret=secret,
        # without a secret only Socket Mode can serve (the HTTP server refuses to start)
        request_verification_enabled=secret is not None,
        # listeners (record, then ack) run in the request thread; the work runs in workers
        process_before_response=True,
        logger=_bolt_logger(),
    )
    frontend = SlackFrontEnd(
        service=service,
        client=client,
        settings=settings,
        users=users or user_directory(settings, client),
        state=state or state_from_url(settings.redis_url, prefix=settings.key_prefix),
    )
    queue = queue if queue is not None else MemoryWorkQueue()
    register_recorders(app, queue)
    return SlackBot(
        app=app,
        frontend=frontend,
        queue=queue,
        workers=worker_pool(queue, frontend, settings, threads=workers),
    )


def worker_pool(
    queue: WorkQueue, frontend: SlackFrontEnd, settings: Settings, *, threads: int
) -> WorkerPool:
    """Workers that take recorded Slack work from `queue` and hand it to `frontend`."""
    work = SlackWork(frontend)
    return WorkerPool(
        queue,
        work.handle,
        give_up=work.give_up,
        threads=threads,
        name="opsbot-slack",
        max_attempts=settings.intake_max_attempts,
    )


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
