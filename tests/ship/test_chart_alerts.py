"""The chart's Alertmanager receiver (issue 13): `alerts.enabled` renders a ConfigMap the bot's
own loaders accept, env the bot's Settings read back, the `alerts` container and Service port
and, with NetworkPolicies on, an ingress rule for it; the schema and checks refuse bad values."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.config import Settings
from bot.receivers.alertmanager.auth import authorized
from bot.receivers.alertmanager.config import load_routing, load_runbooks
from bot.receivers.alertmanager.setup import credentials_from
from tests.fixtures.ship import ChartInstaller

ROUTING = {
    "routes": [
        {
            "name": "prod",
            "matchers": ['namespace=~"prod-.*"'],
            "channel": "C0PRODOPS",
            "diagnose": True,
        },
    ],
    "unrouted": "default",
    "default_channel": "C0ALERTS",
    "default_diagnose": False,
}
RUNBOOKS = {
    "runbooks": [
        {
            "name": "crashloop-rollback",
            "alertname": "KubePodCrashLooping",
            "operation": "rollback_deployment",
            "params": {"namespace": {"label": "namespace"}, "name": {"deployment_of_pod": "pod"}},
        }
    ]
}
AM_PODS = [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "alertmanager"}}}]


def _validate(doc: dict[str, Any]) -> None:
    if doc["kind"] == "PodDisruptionBudget":
        doc = {**doc, "apiVersion": "policy/v1"}  # as in test_chart_render
    kubernetes_validate.validate(doc, "1.25.0", strict=True)


def test_alerts_render_validate_and_reach_the_bot(
    helm_chart: ChartInstaller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_chart.install(
        {
            "alerts": {
                "enabled": True,
                "port": 9096,
                "routing": ROUTING,
                "runbooks": RUNBOOKS,
                "requestsPerMinute": 120,
                "maxPending": 9,
                "from": AM_PODS,
            },
            "existingSecret": {"keys": {"alertsToken": "am-token"}},
            "networkPolicy": {"enabled": True},
        }
    )
    for doc in rendered.docs:
        _validate(doc)
    container = rendered.bot_container
    assert {"name": "alerts", "containerPort": 9096, "protocol": "TCP"} in container["ports"]
    assert {"name": "alerts", "mountPath": "/etc/opsbot/alerts", "readOnly": True} in container[
        "volumeMounts"
    ]
    service = next(
        s
        for s in rendered.of_kind("Service")
        if s["metadata"]["labels"]["app.kubernetes.io/component"] == "bot"
    )
    assert {"name": "alerts", "port": 9096, "targetPort": "alerts", "protocol": "TCP"} in service[
        "spec"
    ]["ports"]
    policy = rendered.one("NetworkPolicy")["spec"]
    assert {"ports": [{"port": "alerts", "protocol": "TCP"}], "from": AM_PODS} in policy["ingress"]

    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["OPSBOT_ALERTS_TOKEN"] == {
        "secretKeyRef": {"name": "opsbot-credentials", "key": "am-token"}
    }
    # the ConfigMap the pods mount loads with the bot's own loaders
    data = next(d for d in rendered.of_kind("ConfigMap") if "routing.yaml" in d["data"])["data"]
    for name, content in data.items():
        (tmp_path / name).write_text(content)
    routing = load_routing(tmp_path / "routing.yaml")
    assert [(r.channel, r.diagnose) for r in routing.routes] == [("C0PRODOPS", True)]
    assert routing.default_channel == "C0ALERTS"
    assert [r.name for r in load_runbooks(tmp_path / "runbooks.yaml").runbooks] == [
        "crashloop-rollback"
    ]
    # and the environment is read by the bot's Settings as intended
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert str(settings.alerts_routing) == "/etc/opsbot/alerts/routing.yaml"
    assert str(settings.alerts_runbooks) == "/etc/opsbot/alerts/runbooks.yaml"
    assert (settings.alerts_host, settings.alerts_port) == ("0.0.0.0", 9096)
    assert settings.alerts_principal == "alertmanager"
    assert (settings.alerts_rate_limit_per_minute, settings.alerts_max_pending) == (120, 9)


def test_alerts_off_by_default_and_evidence_only_without_runbooks(
    helm_chart: ChartInstaller, tmp_path: Path
) -> None:
    off = helm_chart.install({})
    assert not [d for d in off.of_kind("ConfigMap") if "routing.yaml" in d["data"]]
    assert "alerts" not in {p["name"] for p in off.bot_container["ports"]}
    assert not any(e["name"].startswith("OPSBOT_ALERTS_") for e in off.bot_container["env"])

    on = helm_chart.install({"alerts": {"enabled": True, "routing": ROUTING}})
    data = next(d for d in on.of_kind("ConfigMap") if "runbooks.yaml" in d["data"])["data"]
    (tmp_path / "runbooks.yaml").write_text(data["runbooks.yaml"])
    assert load_runbooks(tmp_path / "runbooks.yaml").runbooks == []
    assert yaml.safe_load(data["routing.yaml"]) == ROUTING


def _settings_in_the_pod(
    container: dict[str, Any], secret: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings as the bot reads them in the pod: the kubelet resolves each secretKeyRef from
    the Secret (`secret`: its data); optional keys the Secret lacks stay unset."""
    for entry in container["env"]:
        if "value" in entry:
            monkeypatch.setenv(entry["name"], entry["value"])
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref and ref["key"] in secret:
            monkeypatch.setenv(entry["name"], secret[ref["key"]])
    return Settings()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_takes_user_and_password_from_the_secret(
    helm_chart: ChartInstaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_chart.install(
        {
            "alerts": {"enabled": True, "auth": "basic", "routing": ROUTING},
            "existingSecret": {
                "keys": {"alertsBasicUser": "am-user", "alertsBasicPassword": "am-password"}
            },
        }
    )
    for doc in rendered.docs:
        _validate(doc)
    env = {e["name"]: e.get("valueFrom") for e in rendered.bot_container["env"]}
    assert env["OPSBOT_ALERTS_BASIC_USER"] == {
        "secretKeyRef": {"name": "opsbot-credentials", "key": "am-user"}
    }
    assert env["OPSBOT_ALERTS_BASIC_PASSWORD"] == {
        "secretKeyRef": {"name": "opsbot-credentials", "key": "am-password"}
    }
    assert "OPSBOT_ALERTS_TOKEN" not in env  # no second, unused secret to leak or rotate
    secret = {"am-user": "alertmanager", "am-password": "pw-5c2e", "alerts-token": "pw-5c2e"}
    credentials = credentials_from(
        _settings_in_the_pod(rendered.bot_container, secret, monkeypatch)
    )
    # the receiver in that pod accepts Alertmanager's basic_auth header, and nothing else
    assert authorized(_basic("alertmanager", "pw-5c2e"), credentials)
    assert not authorized(_basic("alertmanager", "wrong"), credentials)
    assert not authorized("Bearer pw-5c2e", credentials)


def test_bearer_is_the_default_auth(
    helm_chart: ChartInstaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_chart.install({"alerts": {"enabled": True, "routing": ROUTING}})
    names = {e["name"] for e in rendered.bot_container["env"]}
    assert "OPSBOT_ALERTS_TOKEN" in names and "OPSBOT_ALERTS_BASIC_USER" not in names
    secret = {"alerts-token": "tok-91d0", "alerts-basic-user": "u", "alerts-basic-password": "p"}
    credentials = credentials_from(
        _settings_in_the_pod(rendered.bot_container, secret, monkeypatch)
    )
    assert authorized("Bearer tok-91d0", credentials)
    assert not authorized(_basic("u", "p"), credentials)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"alerts": {"enabled": "yes"}}, "enabled"),
        ({"alerts": {"enabled": True, "port": 70000, "routing": ROUTING}}, "port"),
        ({"alerts": {"enabled": True, "routing": {"route": []}}}, "route"),
        ({"alerts": {"enabled": True, "routing": {**ROUTING, "unrouted": "ignore"}}}, "unrouted"),
        ({"alerts": {"maxPending": 0}}, "maxPending"),
        ({"alerts": {"enabled": True}}, "alerts.enabled needs alerts.routing"),
        (
            {"alerts": {"enabled": True, "port": 8080, "routing": ROUTING}},
            "alerts.port 8080 is already used",
        ),
        ({"existingSecret": {"keys": {"alertsToken": ""}}}, "alertsToken"),
        ({"alerts": {"auth": "digest"}}, "auth"),
        (
            {"alerts": {"enabled": True, "routing": {**ROUTING, "default_diagnose": "yes"}}},
            "default_diagnose",
        ),
        ({"existingSecret": {"keys": {"alertsBasicUser": ""}}}, "alertsBasicUser"),
        ({"existingSecret": {"keys": {"alertsBasicPassword": ""}}}, "alertsBasicPassword"),
    ],
)
def test_helm_refuses_bad_alerts_values(
    helm_chart: ChartInstaller, values: dict[str, Any], complaint: str
) -> None:
    import helm_sdkpy

    with pytest.raises(helm_sdkpy.HelmError, match=complaint):
        helm_chart.install(values)
