"""Serving the Bolt app: Socket Mode (default) or the HTTP Events API on a loopback-by-default
address, plus the process's one expiry sweep (bot/adapters/sweep.py), and `serve_command`
behind `opsbot serve`."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Protocol

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.principals import PrincipalsByPlatform
from bot.adapters.report_targets import Poster, start_reports
from bot.adapters.shutdown import stop_on_signals, wait_until_stopped
from bot.adapters.slack.frontend import PLATFORM, SlackFrontEnd
from bot.adapters.slack.http_server import HttpTransport
from bot.adapters.slack.report_render import post_report_to_slack
from bot.adapters.slack.setup import SlackSettingsError, check_settings, make_web_client
from bot.adapters.slack.state import RedisState
from bot.adapters.sweep import Closer, SweepLoop, SweepRouter
from bot.config import Settings
from bot.endpoints import readiness_from_wiring, start_endpoints
from bot.endpoints.readiness import Readiness
from bot.receivers.alertmanager.config import ConfigError
from bot.receivers.alertmanager.server import ReceiverServer
from bot.reports.schedules import ReportsConfigError
from bot.wiring import Wiring, build
from bot.workqueue.setup import work_queue

if TYPE_CHECKING:
    from bot.adapters.matrix.bot import BotThread

log = logging.getLogger("opsbot.slack.serve")

GROUP_MAP_WARNING = (
    "OPSBOT_SLACK_GROUP_MAP is empty: no Slack user group counts as a policy group, so "
    "approvals rely on the policy's static `groups:` only. To let a Slack user group approve, "
    'map its id to a policy group, e.g. OPSBOT_SLACK_GROUP_MAP=\'{"S0123ABCDE": "sre"}\' '
    "(ids never change; handles can be renamed by anyone allowed to edit user groups)."
)


class Transport(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def where(self) -> str: ...


class SocketTransport:
    """Socket Mode: an outbound websocket, no public URL needed (SLACK_APP_TOKEN)."""

    def __init__(self, app: App, *, app_token: str) -> None:
        self.handler = SocketModeHandler(app, app_token=app_token)

    @property
    def where(self) -> str:
        return "Slack Socket Mode"

    def start(self) -> None:
        self.handler.connect()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        self.handler.close()  # type: ignore[no-untyped-call]


def serve_command(
    settings: Settings,
    *,
    mode: str,
    host: str,
    port: int,
    with_matrix: bool = False,
    workers: int | None = None,
    worker_threads: int = 4,
) -> int:
    """Run the Slack app until SIGINT/SIGTERM (`with_matrix`: and the Matrix bot beside it, on
    the same service and one sweep). Returns the process exit code.

    `workers`: worker processes (`opsbot work`, each with `worker_threads` threads) that work
    the Redis intake queue; 0: threads in this process. None: 2 with REDIS_URL, else 0.
    On SIGTERM: /readyz answers 503, the receiver stops accepting (unacked Slack requests are
    retried by Slack, to another replica), workers finish what they hold within
    OPSBOT_SHUTDOWN_GRACE_SECONDS and hand back the rest, exit 0."""
    from bot.adapters.slack.app import build_bot, user_directory
    from bot.adapters.slack.worker_process import WorkerProcesses

    try:
        check_settings(settings, mode=mode)
    except SlackSettingsError as exc:
        print(f"opsbot: {exc}", file=sys.stderr)
        return 2
    if workers is None:
        workers = 2 if settings.redis_url else 0
    if workers > 0 and not settings.redis_url:
        print(
            "opsbot: --workers N > 0 needs REDIS_URL (worker processes share the queue in "
            "Redis); use --workers 0 to work in this process",
            file=sys.stderr,
        )
        return 2
    client = make_web_client(settings)
    users = user_directory(settings, client)
    wiring = build(settings, principals=PrincipalsByPlatform(slack=users) if with_matrix else users)
    for note in wiring.notes:
        print(f"opsbot: {note}", file=sys.stderr)
    if not settings.slack_group_map:
        log.warning(GROUP_MAP_WARNING)
    try:
        state = (
            RedisState(wiring.redis_client, prefix=settings.key_prefix)
            if wiring.redis_client is not None
            else None
        )
        bot = build_bot(
            service=wiring.service,
            settings=settings,
            client=client,
            state=state,
            users=users,
            queue=work_queue(settings, wiring.redis_client),
            workers=worker_threads if workers == 0 else 0,
        )
    except (BoltError, SlackApiError, SlackClientError, OSError) as exc:
        print(
            f"opsbot: Slack did not accept SLACK_BOT_TOKEN or could not be reached: {exc}\n"
            "Check the token and OPSBOT_SLACK_API_URL (if set).",
            file=sys.stderr,
        )
        return 1
    processes = WorkerProcesses(workers, threads=worker_threads)
    if workers > 0:
        processes.start()
    else:
        bot.workers.start()
    transport: Transport
    try:
        if mode == "http":
            transport = HttpTransport(
                bot.app,
                signing_secret=settings.slack_signing_secret.get_secret_value()
                if settings.slack_signing_secret
                else None,
                host=host,
                port=port,
            )
        else:
            assert settings.slack_app_token is not None
            transport = SocketTransport(
                bot.app, app_token=settings.slack_app_token.get_secret_value()
            )
        transport.start()
    except (OSError, SlackApiError, SlackClientError) as exc:
        print(f"opsbot: could not start the Slack {mode} transport: {exc}", file=sys.stderr)
        processes.stop(grace_seconds=settings.shutdown_grace_seconds)
        bot.workers.stop(grace_seconds=settings.shutdown_grace_seconds)
        return 1
    closers: dict[str, Closer] = {PLATFORM: bot.frontend}
    matrix: BotThread | None = None
    if with_matrix:
        from bot.adapters.matrix.bot import MatrixCloser, MatrixReportPoster, start_beside

        matrix = start_beside(settings, wiring)
        closers["matrix"] = MatrixCloser(matrix)
    expiry = SweepLoop(
        SweepRouter(
            wiring.service, closers, interrupted_after_seconds=settings.interrupted_after_seconds
        )
    )
    expiry.start()
    stop = threading.Event()
    try:
        endpoints = start_endpoints(
            settings=settings,
            readiness=draining(
                readiness_from_wiring(wiring, timeout=settings.readiness_timeout_seconds), stop
            ),
        )
        posters: dict[str, Poster] = {
            PLATFORM: lambda channel, report: post_report_to_slack(client, channel, report)
        }
        if matrix is not None:
            posters["matrix"] = MatrixReportPoster(matrix)
        reports = start_reports(settings, wiring, posters)
        alerts = _start_alerts(settings, wiring, bot.frontend, matrix)
    except (OSError, ReportsConfigError, ConfigError, ValueError) as exc:
        print(f"opsbot: could not start: {exc}", file=sys.stderr)
        expiry.stop()
        transport.stop()
        processes.stop(grace_seconds=settings.shutdown_grace_seconds)
        bot.workers.stop(grace_seconds=settings.shutdown_grace_seconds)
        if matrix is not None:
            matrix.stop()
        return 1
    pids = ",".join(str(p.pid) for p in processes.procs) or "in-process"
    print(
        f"opsbot: serving Slack on {transport.where}; {endpoints.url}/healthz; workers: {pids}",
        flush=True,
    )
    stop_on_signals(stop)
    try:
        wait_until_stopped(stop)
    finally:
        # not ready, and take nothing new: Slack retries what is not acked (another replica)
        deadline = time.monotonic() + settings.shutdown_grace_seconds
        transport.stop()
        if alerts is not None:
            alerts.stop(grace_seconds=_left(deadline))
        if reports is not None:
            reports.stop()
        # the work held is finished (or, past the grace period, taken over elsewhere): one
        # grace period for everything, so the pod's terminationGracePeriodSeconds holds
        processes.stop(grace_seconds=_left(deadline))
        bot.workers.stop(grace_seconds=_left(deadline))
        endpoints.stop()
        expiry.stop()
        if matrix is not None:
            matrix.stop()
    return 0


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def draining(readiness: Readiness, stopping: threading.Event) -> Readiness:
    """/readyz reports not ready once the replica is shutting down (SIGTERM)."""

    def check() -> dict[str, str | None]:
        if stopping.is_set():
            return {"shutdown": "shutting down: taking no new work"}
        return readiness()

    return check


def _start_alerts(
    settings: Settings, wiring: Wiring, frontend: SlackFrontEnd, matrix: BotThread | None = None
) -> ReceiverServer | None:
    """The Alertmanager receiver (POST /alertmanager), when OPSBOT_ALERTS_ROUTING is set; each
    route posts to the platform of its channel (bot/adapters/alert_targets.py)."""
    from bot.adapters.alert_targets import start_alerts
    from bot.adapters.slack.alert_sink import SlackAlertSink
    from bot.receivers.alertmanager.sink import AlertSink

    sinks: dict[str, AlertSink] = {PLATFORM: SlackAlertSink(frontend)}
    if matrix is not None:
        from bot.adapters.matrix.alert_sink import MatrixAlertSink

        sinks["matrix"] = MatrixAlertSink(matrix, requester=settings.alerts_principal)
    return start_alerts(settings, wiring, sinks)
