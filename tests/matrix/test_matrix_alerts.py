"""Alerts to a Matrix room: a real Alertmanager posts to the receiver, whose route names a
Matrix room id; the group's one message is posted and then edited in place (m.replace), the
evidence and the runbook's fix preview go in its thread (m.thread), another user's reaction
approves the fix, which runs on the real dockerd. Alert text is untrusted: escaped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from pydantic import SecretStr

from bot.adapters.alert_targets import AlertSinks, check_routes, start_alerts
from bot.adapters.matrix.alert_sink import MatrixAlertSink
from bot.adapters.matrix.bot import start_beside
from bot.receivers.alertmanager.config import ConfigError
from bot.wiring import build
from tests.fixtures.alertmanager import ALERTS_TOKEN, RealAlertmanager
from tests.fixtures.services import _wait_until
from tests.matrix.conftest import POLICY, MatrixWorld, body_of, started_at

APPROVE = "✅"
ALERT_GRANT = """grants:
  - name: alerts
    users: [alertmanager]
    actions: ["*"]
"""
RUNBOOKS = """
runbooks:
  - name: container-down
    alertname: ContainerDown
    operation: restart_container
    params:
      container: {label: container}
"""


def _routing(channel: str) -> str:
    return f"""
routes:
  - name: containers
    matchers: ['alertname="ContainerDown"']
    channel: "{channel}"
unrouted: drop
"""


def test_an_alert_routed_to_a_matrix_room_is_posted_edited_and_its_fix_approved_by_reaction(
    world: MatrixWorld,
    container: str,
    docker_client: docker.DockerClient,
    alertmanager: Callable[..., RealAlertmanager],
    tmp_path: Path,
) -> None:
    Path(world.settings.policy_path).write_text(POLICY.replace("grants:\n", ALERT_GRANT, 1))
    (tmp_path / "routing.yaml").write_text(_routing(world.room))
    (tmp_path / "runbooks.yaml").write_text(RUNBOOKS)
    settings = world.settings.model_copy(
        update={
            "alerts_routing": tmp_path / "routing.yaml",
            "alerts_runbooks": tmp_path / "runbooks.yaml",
            "alerts_token": SecretStr(ALERTS_TOKEN),
            "alerts_port": 0,
        }
    )
    wiring = build(settings)
    runner = start_beside(settings, wiring)
    world.bots.append(runner)
    assert _wait_until(lambda: runner.bot.state.since() is not None, timeout=60), runner.error
    server = start_alerts(
        settings,
        wiring,
        {"matrix": MatrixAlertSink(runner, requester=settings.alerts_principal)},
    )
    assert server is not None
    try:
        am = alertmanager([server.url])
        p = world.people
        before = started_at(docker_client, container)
        labels = {"alertname": "ContainerDown", "container": container}
        am.fire(labels, summary="<b>web</b> is down @room")

        group = p.alice.wait_for(
            world.room,
            lambda e: (
                e["sender"] == p.bot.user_id
                and e["type"] == "m.room.message"
                and body_of(e).startswith("🚨 ContainerDown: FIRING")
            ),
            what="the alert group's message",
        )
        html = group["content"]["formatted_body"]
        assert "&lt;b&gt;web&lt;/b&gt;" in html and "<b>web</b>" not in html
        assert group["content"]["m.mentions"] == {}  # "@room" in an alert pings nobody
        evidence = world.wait_in_thread(
            group["event_id"], lambda e: body_of(e).startswith("Evidence"), what="the evidence"
        )
        assert container in body_of(evidence)
        preview = world.wait_in_thread(
            group["event_id"], lambda e: "PENDING" in body_of(e), what="the fix preview"
        )
        assert container in body_of(preview)

        p.carol.react(world.room, preview["event_id"], APPROVE)
        world.wait_in_thread(
            group["event_id"], lambda e: body_of(e).startswith("Done"), what="the fix result"
        )
        assert started_at(docker_client, container) != before

        am.resolve(labels)
        world.wait_edit(group["event_id"], "ContainerDown: RESOLVED")
        world.wait_in_thread(
            group["event_id"],
            lambda e: body_of(e).startswith("Resolved: ContainerDown"),
            what="the resolution note",
        )
        posts = [
            e
            for e in p.alice.events(world.room)
            if e["sender"] == p.bot.user_id
            and body_of(e).startswith("🚨 ContainerDown")
            and "m.relates_to" not in e["content"]
        ]
        assert len(posts) == 1  # one message per group, edited in place
        bodies = [body_of(e) for e in world.thread(group["event_id"])]
        assert len([b for b in bodies if "PENDING" in b]) == 1, bodies
        assert len([b for b in bodies if b.startswith("Done")]) == 1, bodies

        # a Matrix-only process refuses, at start, routes it cannot post to
        (tmp_path / "routing.yaml").write_text(
            _routing("C0SLACK").replace(
                "unrouted: drop", "  - name: alias\n    channel: '#ops:localhost'\nunrouted: drop"
            )
        )
        with pytest.raises(ConfigError) as refused:
            check_routes(settings, AlertSinks({"matrix": MatrixAlertSink(runner, requester="x")}))
        assert "route containers: C0SLACK is a slack room" in str(refused.value)
        assert "route alias: #ops:localhost is a Matrix room alias" in str(refused.value)
    finally:
        server.stop()
