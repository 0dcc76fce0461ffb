"""End to end with REAL Prometheus and Alertmanager (Debian's `prometheus` and
`prometheus-alertmanager`): a real container is killed on the real dockerd, Prometheus scrapes
its state from a loopback exporter and fires ContainerDown, Alertmanager delivers it to the
bot's receiver, Slack gets one message with evidence and the runbook's restart as a preview;
approving it restarts the container, the rule clears and the message turns resolved."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from tests.alerts.test_alertmanager_real import group_posts, in_thread
from tests.backends.test_kubernetes_real import wait_for
from tests.fakes.slack_api import FakeSlack, reaction
from tests.fixtures.alert_bot import ALERTS_CHANNEL, AlertBot
from tests.fixtures.alertmanager import RealAlertmanager
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.prometheus import ContainerExporter, RealPrometheus
from tests.fixtures.slack_fake import text_of


def test_a_prometheus_rule_on_a_real_container_reaches_slack_and_resolves_after_the_fix(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    prometheus: Callable[..., RealPrometheus],
    container_exporter: ContainerExporter,
    containers: ContainerFactory,
    docker_host: str,
) -> None:
    web = containers.run("web", ["sh", "-c", "echo serving; exec sleep 300"])
    container_exporter.watched.append(web.name)
    settings = alert_settings(docker_disabled=False, docker_hosts={"default": docker_host})
    bot = alert_bot(settings)
    am = alertmanager([bot.url])
    prom = prometheus(targets=[container_exporter.target], alertmanager=am.url)
    wait_for("Prometheus scraping the exporter", lambda: container_exporter.scrapes >= 2)
    assert group_posts(fake_slack, ALERTS_CHANNEL, "ContainerDown") == []  # running: no alert

    web.kill()  # the real condition: the container is down
    group = wait_for(
        "the group message", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "ContainerDown")
    )[0]
    assert "1 firing" in group.text
    # the rule's labels and templated annotation, as Prometheus rendered them
    assert f"name={web.name}" in text_of(group) and "job=containers" in text_of(group)
    assert f"Container {web.name} is not running." in text_of(group)
    assert [a["state"] for a in prom.alerts()] == ["firing"]
    evidence = wait_for(
        "evidence",
        lambda: [
            m
            for m in in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
            if m.text.startswith("Evidence")
        ],
    )
    shown = text_of(evidence[0])
    # the container's state and last log lines, read from the real dockerd
    assert f"docker inspect {web.name}" in shown and "exited (exit code 137)" in shown
    assert f"docker logs {web.name}" in shown and "serving" in shown
    preview = bot.harness.wait_preview(group.ts)
    assert "restart" in text_of(preview).lower() and web.name in text_of(preview)
    web.reload()
    assert web.status == "exited"  # nothing ran by itself

    bot.harness.send_event(
        reaction(user="USRE1", name="white_check_mark", channel=ALERTS_CHANNEL, ts=preview.ts)
    )

    def group_now() -> str:
        return (fake_slack.message(ALERTS_CHANNEL, group.ts) or group).text

    wait_for(
        "the resolved update",
        lambda: "resolved" in group_now() and "0 firing" in group_now(),
        timeout=45,
    )
    web.reload()
    assert web.status == "running"  # the approved restart cleared the condition
    wait_for(
        "the resolution note",
        lambda: [
            m
            for m in in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
            if m.text.startswith("Resolved: ContainerDown")
        ],
    )
    assert len(group_posts(fake_slack, ALERTS_CHANNEL, "ContainerDown")) == 1
