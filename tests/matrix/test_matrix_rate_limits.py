"""Synapse rate-limits the bot (rc_message, lowered for the bot's user through the admin API
`override_ratelimit`): its sends get 429 M_LIMIT_EXCEEDED with retry_after_ms, and every reply,
preview, reaction and edit still arrives exactly once (a retry reuses its transaction id)."""

from __future__ import annotations

import dataclasses
import uuid
from urllib.parse import quote

import docker
import requests
from pydantic import SecretStr

from tests.matrix.conftest import MatrixWorld, People, body_of, started_at

APPROVE = "✅"
READS = 6


def _rate_limited_world(world: MatrixWorld, people: People) -> MatrixWorld:
    """The world with its own bot user, limited to 1 message a second (burst 2)."""
    admin = world.synapse.unique_user("admin", admin=True)
    bot = world.synapse.unique_user("opsbot-limited")
    response = requests.post(
        f"{world.synapse.url}/_synapse/admin/v1/users/{quote(bot.user_id)}/override_ratelimit",
        headers={"Authorization": f"Bearer {admin.token}"},
        json={"messages_per_second": 1, "burst_count": 2},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    room = people.alice.create_room(invite=[bot.user_id, people.bob.user_id, people.carol.user_id])
    for person in (people.bob, people.carol):
        person.join(room)
    settings = world.settings.model_copy(
        update={
            "matrix_user_id": bot.user_id,
            "matrix_access_token": SecretStr(bot.token),
            "matrix_rooms": [room],
        }
    )
    limited = MatrixWorld(
        synapse=world.synapse,
        people=dataclasses.replace(people, bot=bot),
        room=room,
        settings=settings,
    )
    world.bots = limited.bots  # stopped by the `world` fixture
    return limited


def _burst_is_refused(world: MatrixWorld) -> dict[str, object]:
    """The limit is in force: the bot user's third quick send is refused with a 429."""
    bot = world.people.bot
    answers = []
    for _ in range(4):
        path = (
            f"/_matrix/client/v3/rooms/{quote(world.room)}/send/m.room.message/{uuid.uuid4().hex}"
        )
        answers.append(
            bot.http.put(
                bot.base + path, json={"msgtype": "m.notice", "body": "warming up"}, timeout=30
            )
        )
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    body: dict[str, object] = limited[0].json()
    return body


def test_rate_limited_sends_are_retried_and_nothing_is_lost_or_doubled(
    world: MatrixWorld,
    people: People,
    container: str,
    docker_client: docker.DockerClient,
) -> None:
    w = _rate_limited_world(world, people)
    p = w.people
    runner = w.start_bot()  # joins the room (a send: counted against the limit too)
    refused = _burst_is_refused(w)
    assert refused["errcode"] == "M_LIMIT_EXCEEDED" and int(str(refused["retry_after_ms"])) > 0

    before = started_at(docker_client, container)
    reads = [p.bob.say(w.room, "!ops docker ps") for _ in range(READS)]
    write = p.alice.say(w.room, f"!ops docker restart {container}")
    preview = w.wait_in_thread(write, lambda e: "PENDING" in body_of(e), what="a preview")
    p.carol.react(w.room, preview["event_id"], APPROVE)
    w.wait_in_thread(write, lambda e: body_of(e).startswith("Done"), what="the result")
    w.wait_edit(preview["event_id"], "DONE")
    for read in reads:
        w.wait_in_thread(read, lambda e: e["content"]["msgtype"] != "m.file", what="the answer")

    assert runner.bot.client.rate_limited > 0  # the bot's sends were refused and retried
    for read in reads:
        answers = [e for e in w.thread(read) if e["content"]["msgtype"] != "m.file"]
        assert len(answers) == 1, [body_of(e)[:80] for e in answers]
    bodies = [body_of(e) for e in w.thread(write)]
    assert len([b for b in bodies if "PENDING" in b]) == 1, bodies
    assert len([b for b in bodies if b.startswith("Done")]) == 1, bodies
    own_reactions = [
        e
        for e in p.alice.events(w.room)
        if e["type"] == "m.reaction"
        and e["sender"] == p.bot.user_id
        and e["content"]["m.relates_to"]["event_id"] == preview["event_id"]
    ]
    assert sorted(e["content"]["m.relates_to"]["key"] for e in own_reactions) == sorted(
        ["✅", "❌"]
    )
    assert started_at(docker_client, container) != before
