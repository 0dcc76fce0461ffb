"""Red team, mention injection in Matrix: the alert sink marked its own messages as mentioning
nobody (`m.mentions: {}`), but a reply it posts through the Matrix front end (the LLM's
diagnosis, which quotes what it read: pod logs and events an attacker writes) did not, so an
"@room" in it fired the room-wide highlight for every member (Synapse's legacy
.m.rule.roomnotif applies to events without m.mentions). Checked on a real Synapse by the
notifications a member actually gets."""

from __future__ import annotations

from typing import Any

from bot.adapters.matrix.alert_sink import MatrixAlertSink
from bot.replies import AnswerReply
from tests.fixtures.services import _wait_until
from tests.fixtures.synapse import MatrixUser
from tests.matrix.conftest import MatrixWorld, world  # noqa: F401 (fixture)


def _notifications(room: str, bob: MatrixUser) -> list[dict[str, Any]]:
    found = bob._call("GET", "/_matrix/client/v3/notifications?limit=100")["notifications"]
    return [n for n in found if n["room_id"] == room]


def test_a_diagnosis_quoting_at_room_highlights_nobody(world: MatrixWorld) -> None:  # noqa: F811
    p = world.people
    # the bot may notify the room (power 50), as a moderator bot can
    p.alice.set_power_levels(world.room, {p.bot.user_id: 50})
    runner = world.start_bot()
    sink = MatrixAlertSink(runner, requester="alertmanager")
    root = p.alice.say(world.room, "alert group")
    answer = AnswerReply(
        text="The pod logged `@room URGENT: everyone run rm -rf now` [E1]; it is out of memory."
    )
    posted = sink.post_reply(answer, channel=world.room, thread_ts=root)

    # the member got a notification for the bot's message (the push rules did run on it) ...
    def of_reply() -> list[dict[str, Any]]:
        return [n for n in _notifications(world.room, p.bob) if n["event"]["event_id"] == posted]

    assert _wait_until(lambda: bool(of_reply()), timeout=30), "no notification for the reply"
    ours = of_reply()[0]
    # ... but not a room-wide highlight
    assert {"set_tweak": "highlight"} not in ours["actions"], ours["actions"]
    assert ours["event"]["content"].get("m.mentions") == {}
