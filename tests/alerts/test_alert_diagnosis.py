"""LLM diagnosis of alerts (issue 13 section 4): on a route with `diagnose: true` and an LLM
configured, the bot asks the planner, as the alert principal, a why-question it writes itself
from the alert's validated names; the answer citing the reads it ran ([E1] ...) is posted in
the group's thread. Routes without `diagnose` never call the model. Real Alertmanager, real
dockerd, the fake OpenAI server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.wiring import build
from tests.alerts.test_alertmanager_real import group_posts, in_thread
from tests.backends.test_kubernetes_real import wait_for
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.alert_bot import ALERTS_CHANNEL, AlertBot
from tests.fixtures.alertmanager import RealAlertmanager
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.slack_fake import text_of

DIAGNOSIS_ROUTING = f"""
routes:
  - name: quiet
    matchers: ['alertname="Quiet"']
    channel: {ALERTS_CHANNEL}
  - name: containers
    matchers: ['alertname=~"Container.*"']
    channel: {ALERTS_CHANNEL}
    runbooks: []
    diagnose: true
unrouted: drop
"""


def diagnosis_settings(
    alert_settings: Callable[..., Settings],
    openai_fake: FakeOpenAI,
    docker_host: str,
    tmp_path: Path,
    **overrides: Any,
) -> Settings:
    routing = tmp_path / "diagnosis-routing.yaml"
    routing.write_text(DIAGNOSIS_ROUTING)
    values: dict[str, Any] = {
        "alerts_routing": routing,
        "docker_disabled": False,
        "docker_hosts": {"default": docker_host},
        "openai_api_key": openai_fake.api_key,
        "openai_base_url": openai_fake.base_url,
        "llm_timeout_seconds": 5.0,
    }
    return alert_settings(**{**values, **overrides})


def user_messages(fake: FakeOpenAI) -> list[str]:
    return [
        str(m["content"]) for body in fake.requests for m in body["messages"] if m["role"] == "user"
    ]


def test_a_diagnosis_citing_its_reads_is_posted_in_the_thread(
    fake_slack: FakeSlack,
    openai_fake: FakeOpenAI,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    containers: ContainerFactory,
    docker_host: str,
    tmp_path: Path,
) -> None:
    web = containers.run("web", ["sh", "-c", "echo 'panic: cannot reach db'; exec sleep 300"])
    openai_fake.script(
        calls(
            call(
                "lookup_container_logs",
                container=web.name,
                host=None,
                tail_lines=20,
                since_seconds=None,
            )
        ),
        calls(call("answer", text="The app cannot reach its database [E1].", evidence=["E1"])),
    )
    settings = diagnosis_settings(alert_settings, openai_fake, docker_host, tmp_path)
    bot = alert_bot(settings, service=build(settings).service)
    am = alertmanager([bot.url])

    am.fire({"alertname": "Quiet", "container": web.name}, summary="no diagnosis here")
    wait_for("the Quiet post", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "Quiet"))
    am.fire({"alertname": "ContainerDown", "container": web.name}, summary="web is down")
    group = wait_for(
        "the group message", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "ContainerDown")
    )[0]
    diagnosis = wait_for(
        "the diagnosis",
        lambda: [
            m
            for m in in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
            if "cannot reach its database [E1]" in text_of(m)
        ],
    )[0]
    assert "E1: " in text_of(diagnosis) and "container_logs" in text_of(diagnosis)
    # the model was asked the bot's own question, with the real log as delimited data
    asked = user_messages(openai_fake)
    assert asked and all(
        f"why is the alert ContainerDown firing for container {web.name}?" in m for m in asked
    )
    assert "panic: cannot reach db" in str(openai_fake.requests)
    assert openai_fake.pending == 0 and len(openai_fake.requests) == 2  # Quiet: never asked
    assert "Quiet" not in str(openai_fake.requests)
    assert bot.harness.service.store.list_pending() == []  # a diagnosis; nothing waits or ran


def test_without_an_llm_a_diagnose_route_posts_evidence_only(
    fake_slack: FakeSlack,
    openai_fake: FakeOpenAI,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    containers: ContainerFactory,
    docker_host: str,
    tmp_path: Path,
) -> None:
    web = containers.run("web")
    settings = diagnosis_settings(
        alert_settings, openai_fake, docker_host, tmp_path, openai_api_key=None
    )
    bot = alert_bot(settings, service=build(settings).service)
    am = alertmanager([bot.url])
    am.fire({"alertname": "ContainerDown", "container": web.name})
    group = wait_for(
        "the group message", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "ContainerDown")
    )[0]
    wait_for(
        "the evidence",
        lambda: [
            m
            for m in in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
            if m.text.startswith("Evidence")
        ],
    )
    thread = in_thread(fake_slack, ALERTS_CHANNEL, group.ts)
    assert len(thread) == 1  # no "I understand explicit commands only" reply to an alert
    assert openai_fake.requests == []
