"""The chart never grants unrestricted impersonation, nor impersonation of `system:` identities.

`impersonation.enabled=true` with empty `users`/`groups` used to render `impersonate` on every
user and group (no `resourceNames`): the bot's ServiceAccount could then act as
`system:masters`. Helm must refuse such values (schema and template), and must refuse naming a
`system:` user or group, whatever else is set."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from bot import rbac
from tests.fixtures.ship import BASE_VALUES, CHART, ChartInstaller, deep_merge

UNRESTRICTED = [
    {"enabled": True},
    {"enabled": True, "users": ["alice"]},
    {"enabled": True, "groups": ["sre"]},
    {"enabled": True, "users": [], "groups": []},
]
SYSTEM_NAMES = [
    {"enabled": True, "users": ["alice"], "groups": ["sre", "system:masters"]},
    {"enabled": True, "users": ["system:admin"], "groups": ["sre"]},
    {"enabled": True, "users": ["alice"], "groups": ["system:nodes"]},
    # switched off, the lists must still never name them (switching on later would grant them)
    {"enabled": False, "users": ["alice"], "groups": ["system:masters"]},
]


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return loaded


@pytest.mark.parametrize("impersonation", UNRESTRICTED + SYSTEM_NAMES)
def test_schema_refuses_open_or_system_impersonation(impersonation: dict[str, Any]) -> None:
    import yaml

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    values = deep_merge(deep_merge(values, BASE_VALUES), {"impersonation": impersonation})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, _schema())


@pytest.mark.parametrize("impersonation", UNRESTRICTED + SYSTEM_NAMES)
def test_helm_refuses_to_render_open_or_system_impersonation(
    helm_chart: ChartInstaller, impersonation: dict[str, Any]
) -> None:
    import helm_sdkpy

    with pytest.raises(helm_sdkpy.HelmError, match="impersonation"):
        helm_chart.install({"impersonation": impersonation})


def test_restricted_impersonation_renders_only_the_named_identities(
    helm_chart: ChartInstaller,
) -> None:
    rendered = helm_chart.install(
        {"impersonation": {"enabled": True, "users": ["bob", "alice"], "groups": ["sre"]}}
    )
    rules = [r for role in rendered.of_kind("ClusterRole") for r in role["rules"]]
    impersonate = [r for r in rules if "impersonate" in r["verbs"]]
    assert impersonate == [
        {
            "apiGroups": [""],
            "resources": ["groups"],
            "verbs": ["impersonate"],
            "resourceNames": ["sre"],
        },
        {
            "apiGroups": [""],
            "resources": ["users"],
            "verbs": ["impersonate"],
            "resourceNames": ["alice", "bob"],
        },
    ]


@pytest.mark.parametrize(
    ("users", "groups"),
    [((), ()), (("alice",), ()), ((), ("sre",)), (("alice",), ("system:masters",))],
)
def test_bot_rbac_refuses_open_or_system_impersonation(
    users: tuple[str, ...], groups: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match="impersonat"):
        rbac.impersonation_rules(users=users, groups=groups)
