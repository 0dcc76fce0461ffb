"""Request -> preview -> approval by reaction -> execution on the real dockerd -> result in the
thread, through a real Synapse. Self and unauthorized votes, a redacted vote, two bot replicas
receiving the same reaction, and a bot restart in the middle."""

from __future__ import annotations

import docker

from tests.matrix.conftest import MatrixWorld, body_of, started_at

APPROVE, REJECT = "✅", "❌"


def test_request_preview_approval_execution_in_the_thread(
    world: MatrixWorld, container: str, docker_client: docker.DockerClient
) -> None:
    world.start_bot()
    p = world.people
    before = started_at(docker_client, container)
    request = p.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    html = preview["content"]["formatted_body"]
    assert "<table>" in html and container in html and p.alice.user_id in body_of(preview)

    unauthorized = p.bob.react(world.room, preview["event_id"], APPROVE)
    world.wait_in_thread(
        request,
        lambda e: p.bob.user_id in body_of(e) and e["content"]["msgtype"] == "m.notice",
        what="the answer to bob's vote",
    )
    own = p.alice.react(world.room, preview["event_id"], APPROVE)
    world.wait_in_thread(
        request, lambda e: body_of(e).startswith(p.alice.user_id), what="the answer to alice's vote"
    )
    for vote in (unauthorized, own):
        world.handled(world.bots[0], vote)
    assert started_at(docker_client, container) == before  # neither vote ran anything

    p.carol.react(world.room, preview["event_id"], APPROVE)
    done = world.wait_in_thread(request, lambda e: "Done" in body_of(e), what="the result")
    assert container in done["content"]["formatted_body"]
    assert started_at(docker_client, container) != before
    world.wait_edit(preview["event_id"], "DONE")
    world.wait_edit(preview["event_id"], "EXECUTING")


def test_a_redacted_approval_is_withdrawn_before_quorum(
    world: MatrixWorld, container: str, docker_client: docker.DockerClient
) -> None:
    bot = world.start_bot()
    p = world.people
    request = p.alice.say(world.room, f"!ops docker stop {container} -t 0")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    carol_vote = p.carol.react(world.room, preview["event_id"], APPROVE)
    world.wait_edit(preview["event_id"], "1 approval(s) so far")
    edits = len(world.edits_of(preview["event_id"]))
    p.carol.redact(world.room, carol_vote)
    world.wait_edit(preview["event_id"], "0 approval(s) so far", after=edits)
    dave_vote = p.dave.react(world.room, preview["event_id"], APPROVE)
    world.handled(bot, dave_vote)
    # carol's withdrawn vote no longer counts: one of two approvals, nothing ran
    assert docker_client.containers.get(container).status == "running"
    assert not [e for e in world.thread(request) if "Done" in body_of(e)]
    p.carol.react(world.room, preview["event_id"], APPROVE)
    world.wait_in_thread(request, lambda e: "Done" in body_of(e), what="the result")
    assert docker_client.containers.get(container).status == "exited"


def test_two_bot_replicas_receiving_the_same_reaction_execute_once(
    world: MatrixWorld, container: str, docker_client: docker.DockerClient
) -> None:
    first, second = world.start_bot(), world.start_bot()
    p = world.people
    request = p.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    vote = p.carol.react(world.room, preview["event_id"], APPROVE)
    world.wait_in_thread(request, lambda e: "Done" in body_of(e), what="the result")
    for bot in (first, second):
        world.handled(bot, vote)
    bodies = [body_of(e) for e in world.thread(request)]
    assert len([b for b in bodies if "PENDING" in b]) == 1, bodies
    assert len([b for b in bodies if b.startswith("Done")]) == 1, bodies


def test_a_bot_restart_in_the_middle_neither_replays_nor_misses(
    world: MatrixWorld, container: str, docker_client: docker.DockerClient
) -> None:
    bot = world.start_bot()
    p = world.people
    before = started_at(docker_client, container)
    request = p.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    bot.stop()
    assert not bot.alive
    # while the bot is down: the approval and a new request
    p.carol.react(world.room, preview["event_id"], APPROVE)
    read = p.bob.say(world.room, "!ops docker ps")
    world.start_bot()
    world.wait_in_thread(request, lambda e: "Done" in body_of(e), what="the result")
    world.wait_in_thread(read, lambda e: container in body_of(e), what="the docker ps answer")
    assert started_at(docker_client, container) != before
    bodies = [body_of(e) for e in world.thread(request)]
    assert len([b for b in bodies if "PENDING" in b]) == 1, bodies  # the request not replayed
