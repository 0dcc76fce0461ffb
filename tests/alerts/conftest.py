"""A bot with the Alertmanager receiver: the real service on a real Redis, the real Bolt app
against the fake Slack, the receiver on loopback (several replicas share one Redis prefix)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.alert_sink import SlackAlertSink
from bot.backends.base import Backend
from bot.config import Settings
from bot.receivers.alertmanager.server import ReceiverServer, start_receiver
from bot.receivers.alertmanager.setup import build_receiver
from bot.redis_url import connect
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.alertmanager import ALERTS_TOKEN
from tests.fixtures.slack_fake import SlackHarness, service_for, slack_settings, write_policy

ALERTS_CHANNEL = "C0ALERTS"
KUBE_CHANNEL = "C0KUBE"

ROUTING = f"""
routes:
  - name: kube
    matchers: ['namespace=~".+"']
    channel: {KUBE_CHANNEL}
unrouted: default
default_channel: {ALERTS_CHANNEL}
"""

RUNBOOKS = """
runbooks:
  - name: crashloop-rollback
    alertname: KubePodCrashLooping
    operation: rollback_deployment
    params:
      namespace: {label: namespace}
      name: {deployment_of_pod: pod}
  - name: container-down
    alertname: ContainerDown
    operation: restart_container
    params:
      container: {label: name}
"""


@dataclass
class AlertBot:
    harness: SlackHarness
    server: ReceiverServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def alert_settings(
    fake_slack: FakeSlack, redis_url: str, tmp_path: Path
) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        (tmp_path / "routing.yaml").write_text(ROUTING)
        (tmp_path / "runbooks.yaml").write_text(RUNBOOKS)
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "policy_path": write_policy(tmp_path / "p.yaml"),
            "alerts_routing": tmp_path / "routing.yaml",
            "alerts_runbooks": tmp_path / "runbooks.yaml",
            "alerts_token": ALERTS_TOKEN,
            "request_rate_limit_per_minute": 10000,
            "max_pending_per_user": 100,
        }
        return slack_settings(fake_slack, **{**values, **overrides})

    return build


@pytest.fixture
def alert_bot(
    slack_harness: Callable[..., SlackHarness],
) -> Iterator[Callable[..., AlertBot]]:
    """Factory: `alert_bot(settings, kubernetes=None)` starts one replica."""
    servers: list[ReceiverServer] = []

    def start(settings: Settings, *, kubernetes: Backend | None = None) -> AlertBot:
        service = service_for(settings, kubernetes=kubernetes)
        harness = slack_harness(settings, mode="http", service=service)
        assert settings.redis_url
        receiver = build_receiver(
            settings,
            service=service,
            sink=SlackAlertSink(harness.bot.frontend),
            redis_client=connect(settings.redis_url),
        )
        server = start_receiver(receiver, host="127.0.0.1", port=0)
        servers.append(server)
        return AlertBot(harness=harness, server=server)

    yield start
    for server in servers:
        server.stop()
