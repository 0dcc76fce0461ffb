"""`opsbot serve --platform matrix` as real OS processes against a real Synapse, Redis and
dockerd: two processes (same bot user, Redis and key prefix) both receive the same approving
reaction and the container restarts once; a process stopped between preview and approval and
started again picks up the approval and the request sent while it was down, replaying nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import docker
import pytest

from tests.fixtures.services import _wait_until
from tests.matrix.conftest import MatrixWorld, body_of, started_at

APPROVE = "✅"


@dataclass
class BotProcess:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def said(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _env(world: MatrixWorld) -> dict[str, str]:
    s = world.settings
    assert s.redis_url and s.matrix_homeserver and s.matrix_user_id and s.matrix_access_token
    return {
        **os.environ,
        "OPSBOT_POLICY_PATH": str(s.policy_path),
        "REDIS_URL": s.redis_url,
        "OPSBOT_KEY_PREFIX": s.key_prefix,
        "OPSBOT_KUBE_DISABLED": "true",
        "OPSBOT_DOCKER_HOSTS": json.dumps(s.docker_hosts),
        "OPSBOT_HTTP_PORT": "0",
        "MATRIX_HOMESERVER": s.matrix_homeserver,
        "MATRIX_USER_ID": s.matrix_user_id,
        "MATRIX_ACCESS_TOKEN": s.matrix_access_token.get_secret_value(),
        "OPSBOT_MATRIX_ROOMS": json.dumps(s.matrix_rooms),
    }


@pytest.fixture
def bot_process(world: MatrixWorld) -> Iterator[Callable[[], BotProcess]]:
    """Factory: start one `python -m bot.cli serve --platform matrix` and wait until it syncs."""
    started: list[BotProcess] = []

    def start() -> BotProcess:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--platform", "matrix"],
            env=_env(world),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        bot = BotProcess(proc)
        started.append(bot)

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                bot.lines.append(line.rstrip())

        threading.Thread(target=read, daemon=True).start()
        up = _wait_until(lambda: bot.said("syncing (rooms:") or proc.poll() is not None, timeout=90)
        assert up and proc.poll() is None, "\n".join(bot.lines[-30:])
        return bot

    yield start
    for bot in started:
        bot.stop()


def _restarts(client: docker.DockerClient, name: str, since: int) -> int:
    """Restarts of container `name` in dockerd's own event log since `since` (epoch s)."""
    events = client.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"container": name, "event": "restart"},
        decode=True,
    )
    return len(list(events))


def test_two_bot_processes_receiving_the_same_reaction_execute_once(
    world: MatrixWorld,
    bot_process: Callable[[], BotProcess],
    container: str,
    docker_client: docker.DockerClient,
) -> None:
    first, second = bot_process(), bot_process()
    p = world.people
    since = int(time.time()) - 1
    request = p.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    vote = p.carol.react(world.room, preview["event_id"], APPROVE)
    world.wait_in_thread(request, lambda e: body_of(e).startswith("Done"), what="the result")
    # both processes got the reaction from their own sync; the one that lost the claim says so
    counted = f"reaction {vote} was already counted"
    assert _wait_until(lambda: first.said(counted) or second.said(counted), timeout=60), (
        first.lines[-20:],
        second.lines[-20:],
    )
    assert first.said(counted) != second.said(counted)
    assert _restarts(docker_client, container, since) == 1
    bodies = [body_of(e) for e in world.thread(request)]
    assert len([b for b in bodies if "PENDING" in b]) == 1, bodies
    assert len([b for b in bodies if b.startswith("Done")]) == 1, bodies
    assert first.proc.poll() is None and second.proc.poll() is None


def test_a_process_restart_between_preview_and_approval_neither_replays_nor_misses(
    world: MatrixWorld,
    bot_process: Callable[[], BotProcess],
    container: str,
    docker_client: docker.DockerClient,
) -> None:
    bot = bot_process()
    p = world.people
    since = int(time.time()) - 1
    before = started_at(docker_client, container)
    request = p.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    bot.stop()
    assert bot.proc.returncode == 0, bot.lines[-20:]
    # while no bot runs: the approval and a new request
    p.carol.react(world.room, preview["event_id"], APPROVE)
    read = p.bob.say(world.room, "!ops docker ps")
    bot_process()
    world.wait_in_thread(request, lambda e: body_of(e).startswith("Done"), what="the result")
    world.wait_in_thread(read, lambda e: e["content"]["msgtype"] != "m.file", what="the answer")
    assert started_at(docker_client, container) != before
    assert _restarts(docker_client, container, since) == 1
    bodies = [body_of(e) for e in world.thread(request)]
    assert len([b for b in bodies if "PENDING" in b]) == 1, bodies  # the request not replayed
    answers = [e for e in world.thread(read) if e["content"]["msgtype"] != "m.file"]
    assert len(answers) == 1, [body_of(e)[:80] for e in answers]
