"""The Matrix bot: log in, join the configured rooms, and sync from the stored since-token.

Each sync batch is handled completely (its events concurrently) before its `next_batch` is
stored, so a restart resumes where the last handled batch ended: nothing is missed, and what a
crash re-reads is claimed by event id, so nothing runs twice. The first start (no token) takes
the current position and replays no history; in a room joined later, events older than the
bot's join are ignored. Invites to rooms not configured are declined with a reason (direct
messages are accepted); encrypted rooms are refused in the room and in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nio import SyncError, SyncResponse

from bot.adapters.matrix.client import MatrixClient, MatrixError
from bot.adapters.matrix.frontend import PLATFORM, MatrixFrontEnd
from bot.adapters.matrix.report_render import post_report_to_matrix
from bot.adapters.matrix.state import MatrixState, MemoryState, RedisState
from bot.adapters.matrix.users import MatrixPrincipals
from bot.adapters.shutdown import stop_on_signals, wait_until_stopped
from bot.approvals.models import PendingApproval
from bot.config import Settings
from bot.reports.models import HealthReport
from bot.service import ChatService
from bot.wiring import Wiring

log = logging.getLogger("opsbot.matrix.bot")
T = TypeVar("T")

SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER: dict[str, Any] = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {"timeline": {"limit": 100}, "ephemeral": {"types": []}},
}
ENCRYPTED_REFUSAL = (
    "This room is end-to-end encrypted. opsbot does not support encrypted rooms (no maintained "
    "Python end-to-end encryption library is available to it), so it cannot read requests or "
    "reactions here and is leaving. Ask in an unencrypted room the bot is configured for."
)
DECLINE_REASON = (
    "opsbot only serves the rooms it is configured for (OPSBOT_MATRIX_ROOMS) and direct "
    "messages; ask your platform team to add this room."
)


@dataclass
class MatrixBot:
    client: MatrixClient
    frontend: MatrixFrontEnd
    state: MatrixState
    settings: Settings
    sync_timeout_ms: int = SYNC_TIMEOUT_MS
    served_rooms: set[str] = field(default_factory=set)
    handled_until_ms: int = 0  # origin_server_ts of the newest event handled (observability)
    _configured: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        *,
        service: ChatService,
        settings: Settings,
        redis_client: Any = None,
        state: MatrixState | None = None,
    ) -> MatrixBot:
        client = MatrixClient.from_settings(settings)
        assert settings.matrix_user_id is not None
        if state is None:
            state = (
                RedisState(
                    redis_client, prefix=settings.key_prefix, user_id=settings.matrix_user_id
                )
                if redis_client is not None
                else MemoryState()
            )
        served: set[str] = set()
        frontend = MatrixFrontEnd(
            service=service,
            client=client,
            settings=settings,
            principals=MatrixPrincipals(
                power_level=client.power_level, level_groups=settings.matrix_power_level_groups
            ),
            state=state,
            served=lambda room: room in served or client.is_direct(room),
        )
        return cls(
            client=client,
            frontend=frontend,
            state=state,
            settings=settings,
            served_rooms=served,
            _configured=set(settings.matrix_rooms),
        )

    async def start(self) -> None:
        await self.client.login(self.settings)
        for room in self.settings.matrix_rooms:
            try:
                self.served_rooms.add(await self.client.join(room))
            except MatrixError as exc:
                log.warning("%s (the bot joins when invited)", exc)

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        since = self.state.since()
        if since is None:
            first = await self.client.nio.sync(timeout=0, sync_filter=SYNC_FILTER, full_state=True)
            if isinstance(first, SyncResponse):
                await self._invites(first)
                since = first.next_batch
                self.state.save_since(since)
                log.info("first start: sync position taken, earlier events not replayed")
        log.info(
            "Matrix bot %s syncing (rooms: %s)",
            self.client.user_id,
            ", ".join(sorted(self.served_rooms)) or "none configured",
        )
        backoff = 1.0
        try:
            while not stop.is_set():
                sync = asyncio.create_task(
                    self.client.nio.sync(
                        timeout=self.sync_timeout_ms, sync_filter=SYNC_FILTER, since=since
                    )
                )
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({sync, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not sync.done():
                    sync.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sync
                    break
                try:
                    resp = sync.result()
                except Exception as exc:  # noqa: BLE001 - network: log, back off, go on
                    resp = SyncError(str(exc))
                if not isinstance(resp, SyncResponse):
                    log.warning(
                        "sync failed (retrying in %.0f s): %s",
                        backoff,
                        getattr(resp, "message", resp),
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=backoff)
                    backoff = min(backoff * 2, 60.0)
                    continue
                backoff = 1.0
                await self.handle_batch(resp)
                since = resp.next_batch
                self.state.save_since(since)
        finally:
            await self.client.close()

    async def handle_batch(self, resp: SyncResponse) -> None:
        await self._invites(resp)
        work = []
        for room_id, info in resp.rooms.join.items():
            events = [e.source for e in info.timeline.events]
            if info.timeline.limited:
                log.warning(
                    "room %s: more events than one sync returns; older ones in this "
                    "gap are not handled",
                    room_id,
                )
            states = [e.source for e in info.state] + events
            if any(e.get("type") == "m.room.encryption" for e in states):
                work.append(self._refuse_encrypted(room_id))
                continue
            joined_at = 0
            for event in events:
                if (
                    event.get("type") == "m.room.member"
                    and event.get("state_key") == self.client.user_id
                    and (event.get("content") or {}).get("membership") == "join"
                ):
                    joined_at = max(joined_at, int(event.get("origin_server_ts", 0)))
            for event in events:
                if int(event.get("origin_server_ts", 0)) < joined_at:
                    continue  # from before the bot joined this room
                if event.get("sender") == self.client.user_id:
                    continue
                handler = {
                    "m.room.message": self.frontend.on_message,
                    "m.reaction": self.frontend.on_reaction,
                    "m.room.redaction": self.frontend.on_redaction,
                }.get(str(event.get("type")))
                if handler is not None:
                    work.append(self._guard(handler(room_id, event), event))
        if work:
            await asyncio.gather(*work)
        for info in resp.rooms.join.values():
            for e in info.timeline.events:
                self.handled_until_ms = max(
                    self.handled_until_ms, int(e.source.get("origin_server_ts", 0))
                )

    async def _guard(self, call: Any, event: dict[str, Any]) -> None:
        try:
            await call
        except Exception:
            log.exception("handling Matrix event %s failed", event.get("event_id"))

    async def _invites(self, resp: SyncResponse) -> None:
        for room_id, info in resp.rooms.invite.items():
            try:
                await self._invite(room_id, info)
            except Exception:
                log.exception("handling the invite to %s failed", room_id)

    async def _invite(self, room_id: str, info: Any) -> None:
        stripped = [e.source if hasattr(e, "source") else e for e in info.invite_state]
        aliases = {
            str((e.get("content") or {}).get("alias"))
            for e in stripped
            if e.get("type") == "m.room.canonical_alias"
        }
        direct = any(
            e.get("type") == "m.room.member"
            and e.get("state_key") == self.client.user_id
            and (e.get("content") or {}).get("is_direct")
            for e in stripped
        )
        encrypted = any(e.get("type") == "m.room.encryption" for e in stripped)
        if encrypted:
            log.warning(
                "declined the invite to encrypted room %s: encrypted rooms are not supported",
                room_id,
            )
            await self.client.leave(room_id, reason=ENCRYPTED_REFUSAL)
        elif room_id in self._configured or aliases & self._configured or direct:
            try:
                joined = await self.client.join(room_id)
            except MatrixError as exc:
                log.warning("%s", exc)
                return
            if not direct:
                self.served_rooms.add(joined)
        else:
            log.info("declined the invite to %s: not a configured room", room_id)
            await self.client.leave(room_id, reason=DECLINE_REASON)

    async def _refuse_encrypted(self, room_id: str) -> None:
        log.warning("room %s is encrypted: encrypted rooms are not supported; leaving it", room_id)
        if self.state.claim(f"encrypted:{room_id}"):
            with contextlib.suppress(MatrixError):
                await self.client.send(room_id, {"msgtype": "m.notice", "body": ENCRYPTED_REFUSAL})
        self.served_rooms.discard(room_id)
        await self.client.leave(room_id, reason=ENCRYPTED_REFUSAL)


class BotThread:
    """A MatrixBot on its own event loop in a thread (beside Slack in one process, or in tests)."""

    def __init__(self, bot: MatrixBot) -> None:
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="opsbot-matrix", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._run())
        except BaseException as exc:
            self.error = exc
            log.exception("the Matrix bot stopped")
        finally:
            self._ready.set()
            self.loop.close()

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        self._ready.set()
        await self.bot.run(self._stop)

    def start(self) -> BotThread:
        self._thread.start()
        self._ready.wait(timeout=30)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._stop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def call(self, coro: Coroutine[Any, Any, T], *, timeout: float = 60.0) -> T:
        """Run `coro` on the bot's loop from another thread and wait for its result."""
        if not self.alive:
            coro.close()
            raise RuntimeError(f"the Matrix bot is not running ({self.error})")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)


class MatrixCloser:
    """The Matrix front end as a sweep `Closer` (bot/adapters/sweep.py): the process-wide
    sweep thread hands it the approvals whose previews are in Matrix rooms."""

    def __init__(self, runner: BotThread) -> None:
        self.runner = runner

    def close_expired(self, approval: PendingApproval) -> None:
        self.runner.call(self.runner.bot.frontend.close_expired(approval))

    def close_interrupted(self, approval: PendingApproval) -> None:
        self.runner.call(self.runner.bot.frontend.close_interrupted(approval))


class MatrixReportPoster:
    """Posts scheduled reports to Matrix rooms (`bot/adapters/report_targets.py`)."""

    def __init__(self, runner: BotThread) -> None:
        self.runner = runner

    def __call__(self, room_id: str, report: HealthReport) -> str:
        return self.runner.call(post_report_to_matrix(self.runner.bot.client, room_id, report))


def serve_command(settings: Settings) -> int:
    """`opsbot serve --platform matrix`: run until SIGINT/SIGTERM."""
    import sys

    from bot.adapters.alert_targets import start_alerts
    from bot.adapters.matrix.alert_sink import MatrixAlertSink
    from bot.adapters.matrix.client import MatrixSettingsError, check_settings
    from bot.adapters.report_targets import start_reports
    from bot.adapters.sweep import SweepLoop, SweepRouter
    from bot.endpoints import readiness_from_wiring, start_endpoints
    from bot.receivers.alertmanager.config import ConfigError
    from bot.reports.schedules import ReportsConfigError
    from bot.wiring import build

    try:
        check_settings(settings)
    except MatrixSettingsError as exc:
        print(f"opsbot: {exc}", file=sys.stderr)
        return 2
    wiring = build(settings)
    for note in wiring.notes:
        print(f"opsbot: {note}", file=sys.stderr)
    runner = start_beside(settings, wiring)
    sweep = SweepLoop(
        SweepRouter(
            wiring.service,
            {PLATFORM: MatrixCloser(runner)},
            interrupted_after_seconds=settings.interrupted_after_seconds,
        )
    )
    sweep.start()
    reports = None
    try:
        endpoints = start_endpoints(
            settings=settings,
            readiness=readiness_from_wiring(wiring, timeout=settings.readiness_timeout_seconds),
        )
        reports = start_reports(settings, wiring, {PLATFORM: MatrixReportPoster(runner)})
        alerts = start_alerts(
            settings,
            wiring,
            {PLATFORM: MatrixAlertSink(runner, requester=settings.alerts_principal)},
        )
    except (OSError, ReportsConfigError, ConfigError, ValueError) as exc:
        print(f"opsbot: could not start: {exc}", file=sys.stderr)
        if reports is not None:
            reports.stop()
        sweep.stop()
        runner.stop()
        return 1
    print(
        f"opsbot: serving Matrix as {settings.matrix_user_id}; {endpoints.url}/healthz", flush=True
    )
    stop = stop_on_signals()
    try:
        if not wait_until_stopped(stop, check=lambda: runner.alive):
            print(f"opsbot: the Matrix bot stopped: {runner.error}", file=sys.stderr)
            return 1
    finally:
        if alerts is not None:
            alerts.stop()
        if reports is not None:
            reports.stop()
        endpoints.stop()
        sweep.stop()
        runner.stop()
    return 0


def start_beside(settings: Settings, wiring: Wiring) -> BotThread:
    """The Matrix bot on its own thread, calling the process's one service (`wiring`): alone,
    or beside the Slack app (`--platform both`). The caller runs the process's sweep."""
    return BotThread(
        MatrixBot.build(service=wiring.service, settings=settings, redis_client=wiring.redis_client)
    ).start()
