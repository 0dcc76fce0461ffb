"""The chart's `matrix:` values: rendered, validated, read back by the bot's Settings, and
refused when wrong (schema and template)."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest

from bot.config import Settings
from tests.fixtures.ship import ChartInstaller, Rendered

MATRIX = {
    "enabled": True,
    "homeserver": "https://matrix.example.org",
    "userId": "@opsbot:example.org",
    "rooms": ["!ops:example.org", "#platform:example.org"],
    "powerLevelGroups": {"50": "sre", "100": "admins"},
}


def _env(rendered: Rendered) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in rendered.bot_container["env"]}


def _validated(rendered: Rendered) -> None:
    for doc in rendered.of_kind("Deployment"):
        kubernetes_validate.validate(doc, "1.25.0", strict=True)


def test_slack_and_matrix_in_one_process(
    helm_chart: ChartInstaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_chart.install(
        {"matrix": MATRIX, "existingSecret": {"keys": {"matrixAccessToken": "mx-token"}}}
    )
    _validated(rendered)
    assert rendered.bot_container["args"] == [
        *["serve", "--platform", "both", "--mode", "socket"],
        *["--workers", "2", "--worker-threads", "4"],
    ]
    env = _env(rendered)
    assert env["MATRIX_ACCESS_TOKEN"] == {
        "secretKeyRef": {"name": "opsbot-credentials", "key": "mx-token"}
    }
    assert "SLACK_BOT_TOKEN" in env and "SLACK_APP_TOKEN" in env
    assert "Platform: both (Matrix: @opsbot:example.org" in rendered.notes

    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("MATRIX_ACCESS_TOKEN", "syt_from_the_secret")
    settings = Settings()
    assert settings.matrix_homeserver == "https://matrix.example.org"
    assert settings.matrix_user_id == "@opsbot:example.org"
    assert settings.matrix_rooms == ["!ops:example.org", "#platform:example.org"]
    assert settings.matrix_power_level_groups == {50: "sre", 100: "admins"}
    assert settings.matrix_access_token is not None


def test_matrix_only_sets_no_slack_credentials(helm_chart: ChartInstaller) -> None:
    rendered = helm_chart.install(
        {"slack": {"enabled": False, "mode": "http"}, "matrix": {**MATRIX, "rooms": []}}
    )
    _validated(rendered)
    container = rendered.bot_container
    assert container["args"] == ["serve", "--platform", "matrix"]
    env = _env(rendered)
    assert not [name for name in env if name.startswith("SLACK_")]
    assert "OPSBOT_MATRIX_ROOMS" not in env and "OPSBOT_MATRIX_POWER_LEVEL_GROUPS" in env
    assert {p["name"] for p in container["ports"]} == {"http-metrics"}
    assert json.loads(env["OPSBOT_MATRIX_POWER_LEVEL_GROUPS"]) == {"50": "sre", "100": "admins"}


def test_slack_only_by_default_has_no_matrix_env(helm_chart: ChartInstaller) -> None:
    rendered = helm_chart.install({})
    assert rendered.bot_container["args"][:3] == ["serve", "--platform", "slack"]
    assert not [name for name in _env(rendered) if "MATRIX" in name]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"matrix": {**MATRIX, "homeserver": "matrix.example.org"}}, "homeserver"),
        ({"matrix": {**MATRIX, "userId": "opsbot"}}, "userId"),
        ({"matrix": {**MATRIX, "rooms": ["ops"]}}, "/matrix/rooms/0"),
        ({"matrix": {**MATRIX, "powerLevelGroups": {"high": "sre"}}}, "'high' does not match"),
        ({"matrix": {**MATRIX, "room": "!ops:example.org"}}, "room"),
        ({"matrix": {"enabled": True}}, "homeserver"),
        ({"matrix": {"enabled": "yes"}}, "enabled"),
        ({"slack": {"enabled": False}}, "enable at least one chat platform"),
        ({"existingSecret": {"keys": {"matrixAccessToken": ""}}}, "matrixAccessToken"),
    ],
)
def test_helm_refuses_bad_matrix_values(
    helm_chart: ChartInstaller, values: dict[str, Any], complaint: str
) -> None:
    import helm_sdkpy

    with pytest.raises(helm_sdkpy.HelmError, match=complaint):
        helm_chart.install(values)
