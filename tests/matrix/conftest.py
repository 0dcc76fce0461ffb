"""The Matrix adapter against a real Synapse, a real Redis and a real dockerd: the humans
(alice and carol in sre, bob in dev, dave in sre) are Matrix users; the bot runs on its own
event loop, as `opsbot serve --platform matrix` runs it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from bot.adapters.matrix.bot import BotThread, MatrixBot
from bot.config import Settings
from bot.wiring import build
from tests.fixtures._labels import TEST_LABELS
from tests.fixtures.services import _wait_until
from tests.fixtures.synapse import People, Synapse

POLICY = """
groups:
  "@alice:localhost": [sre]
  "@carol:localhost": [sre]
  "@dave:localhost": [sre]
  "@bob:localhost": [dev]
grants:
  - name: all-read
    users: ["*"]
    actions: [read]
  - name: sre-all
    groups: [sre]
    actions: ["*"]
approvals:
  - name: one-sre
    actions: [write, destructive]
    count: 1
    approver_groups: [sre]
    expires_after: 10m
  - name: two-sre-to-stop
    actions: [stop_container]
    count: 2
    approver_groups: [sre]
    expires_after: 10m
"""


@dataclass
class MatrixWorld:
    synapse: Synapse
    people: People
    room: str
    settings: Settings
    bots: list[BotThread] = field(default_factory=list)

    def start_bot(self) -> BotThread:
        wiring = build(self.settings)
        bot = BotThread(
            MatrixBot.build(
                service=wiring.service, settings=self.settings, redis_client=wiring.redis_client
            )
        ).start()
        self.bots.append(bot)
        assert _wait_until(
            lambda: bot.bot.state.since() is not None or not bot.alive, timeout=60
        ), "the bot never synced"
        assert bot.alive, f"the bot stopped: {bot.error}"
        return bot

    def handled(self, bot: BotThread, event_id: str) -> None:
        """Wait until `bot` has handled the sync batch holding `event_id` (by server time)."""
        event = next(e for e in self.people.alice.events(self.room) if e["event_id"] == event_id)
        assert _wait_until(
            lambda: bot.bot.handled_until_ms >= event["origin_server_ts"], timeout=60
        ), f"the bot never handled {event_id}"

    def thread(self, root: str) -> list[dict[str, Any]]:
        """The bot's messages in the request's thread (not edits), oldest first."""
        return [
            e
            for e in self.people.alice.events(self.room)
            if e["sender"] == self.people.bot.user_id
            and e["type"] == "m.room.message"
            and (e["content"].get("m.relates_to") or {}).get("event_id") == root
            and (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread"
        ]

    def wait_in_thread(
        self, root: str, match: Callable[[dict[str, Any]], bool], *, what: str
    ) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def check() -> bool:
            found[:] = [e for e in self.thread(root) if match(e)]
            return bool(found)

        if not _wait_until(check, timeout=90):
            bodies = [e["content"].get("body", "")[:120] for e in self.thread(root)]
            pytest.fail(f"no {what} in the thread of {root}; the bot said: {bodies}")
        return found[-1]

    def edits_of(self, event_id: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.people.alice.events(self.room)
            if (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.replace"
            and e["content"]["m.relates_to"].get("event_id") == event_id
        ]

    def wait_edit(self, event_id: str, text: str, *, after: int = 0) -> dict[str, Any]:
        """The first edit of `event_id` (from the `after`-th on) whose new body holds `text`."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            found[:] = [
                e
                for e in self.edits_of(event_id)[after:]
                if text in e["content"]["m.new_content"]["body"]
            ]
            return bool(found)

        if not _wait_until(check, timeout=90):
            shown = [e["content"]["m.new_content"]["body"][:80] for e in self.edits_of(event_id)]
            pytest.fail(f"no edit of {event_id} saying {text!r}; edits: {shown}")
        return found[0]


@pytest.fixture
def world(
    synapse: Synapse, people: People, redis_url: str, docker_host: str, tmp_path: Path
) -> Iterator[MatrixWorld]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    room = people.alice.create_room(
        invite=[people.bot.user_id, people.bob.user_id, people.carol.user_id, people.dave.user_id]
    )
    for person in (people.bob, people.carol, people.dave):
        person.join(room)
    settings = Settings.model_validate(
        {
            "policy_path": policy,
            "redis_url": redis_url,
            "key_prefix": f"opsbot-m{uuid.uuid4().hex[:8]}",
            "kube_disabled": True,
            "docker_disabled": False,
            "docker_hosts": {"default": docker_host},
            "matrix_homeserver": synapse.url,
            "matrix_user_id": people.bot.user_id,
            "matrix_access_token": people.bot.token,
            "matrix_rooms": [room],
        }
    )
    world = MatrixWorld(synapse=synapse, people=people, room=room, settings=settings)
    try:
        yield world
    finally:
        for bot in world.bots:
            bot.stop()


def wait_joined(world: MatrixWorld) -> None:
    world.people.alice.wait_for(
        world.room,
        lambda e: (
            e["type"] == "m.room.member"
            and e.get("state_key") == world.people.bot.user_id
            and e["content"].get("membership") == "join"
        ),
        what="the bot's join",
    )


@pytest.fixture
def container(docker_cleanup: docker.DockerClient, busybox_image: str) -> str:
    name = f"mx{uuid.uuid4().hex[:6]}-web-1"
    docker_cleanup.containers.run(
        busybox_image,
        ["sleep", "600"],
        name=name,
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )
    return name


def started_at(client: docker.DockerClient, name: str) -> str:
    return str(client.containers.get(name).attrs["State"]["StartedAt"])


def body_of(event: dict[str, Any]) -> str:
    return str(event["content"].get("body", ""))


def now_ms() -> int:
    return int(time.time() * 1000)
