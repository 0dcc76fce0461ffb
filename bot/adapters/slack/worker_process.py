"""`opsbot work`: one worker process of `opsbot serve --workers N`. It builds its own wiring
(service, Slack client, state) and works the shared Redis work queue until SIGTERM/SIGINT,
then finishes the entries it holds (within the grace period), hands back the rest, exits 0."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

from bot.adapters.shutdown import stop_on_signals, wait_until_stopped
from bot.adapters.slack.app import user_directory, worker_pool
from bot.adapters.slack.frontend import SlackFrontEnd
from bot.adapters.slack.setup import SlackSettingsError, make_web_client
from bot.adapters.slack.state import RedisState
from bot.config import Settings
from bot.wiring import build
from bot.workqueue.setup import work_queue

log = logging.getLogger("opsbot.slack.worker")


def work_command(settings: Settings, *, threads: int) -> int:
    if not settings.redis_url:
        print("opsbot work: worker processes need REDIS_URL (the shared queue)", file=sys.stderr)
        return 2
    if not settings.slack_bot_token:
        print(f"opsbot work: {SlackSettingsError('set SLACK_BOT_TOKEN')}", file=sys.stderr)
        return 2
    if settings.worker_nice:
        os.nice(settings.worker_nice)  # acks (the receiver process) win the CPU
    client = make_web_client(settings)
    users = user_directory(settings, client)
    wiring = build(settings, principals=users)
    assert wiring.redis_client is not None
    frontend = SlackFrontEnd(
        service=wiring.service,
        client=client,
        settings=settings,
        users=users,
        state=RedisState(wiring.redis_client, prefix=settings.key_prefix),
    )
    queue = work_queue(settings, wiring.redis_client)
    pool = worker_pool(queue, frontend, settings, threads=threads).start()
    stop = stop_on_signals()
    log.info("worker process %d: %d thread(s) on the intake queue", os.getpid(), threads)
    wait_until_stopped(stop)
    pool.stop(grace_seconds=settings.shutdown_grace_seconds)
    return 0


class WorkerProcesses:
    """The `opsbot work` children of `opsbot serve --workers N`: started, restarted when one
    dies (its held entry is taken over after the takeover timeout), stopped with SIGTERM."""

    def __init__(self, count: int, *, threads: int) -> None:
        self.count = count
        self.threads = threads
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "work", "--threads", str(self.threads)]
        )

    def start(self) -> WorkerProcesses:
        self.procs = [self._spawn() for _ in range(self.count)]
        self._watch = threading.Thread(
            target=self._restart_dead, name="opsbot-workers", daemon=True
        )
        self._watch.start()
        return self

    def _restart_dead(self) -> None:
        while not self._stopping.wait(1.0):
            for index, proc in enumerate(self.procs):
                code = proc.poll()
                if code is not None and not self._stopping.is_set():
                    log.error("worker process %d exited (%s); starting another", proc.pid, code)
                    self.procs[index] = self._spawn()

    def stop(self, *, grace_seconds: float) -> None:
        self._stopping.set()
        if self._watch is not None:
            self._watch.join()
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=grace_seconds + 5)
            except subprocess.TimeoutExpired:
                log.warning("worker process %d outlived the grace period: killed", proc.pid)
                proc.kill()
                proc.wait()
