"""The workload, rollout and HPA commands of issue 12 parse to exactly these steps."""

from __future__ import annotations

from typing import Any

import pytest

from bot.parsing import Parsed, ParseError, parse_command

EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("restart statefulset/redis -n prod", {"operation": "restart_statefulset", "name": "redis"}),
    (
        "rollout restart ds/fluentd -n logging",
        {"operation": "restart_daemonset", "name": "fluentd"},
    ),
    ("rollout undo sts/redis -n prod", {"operation": "rollback_statefulset", "name": "redis"}),
    (
        "scale sts/redis --replicas 3 -n prod",
        {"operation": "scale_statefulset", "name": "redis", "replicas": 3},
    ),
    (
        "rollout status deploy/web -n prod",
        {"operation": "rollout_status_deployment", "name": "web"},
    ),
    (
        "rollout history sts/redis -n prod",
        {"operation": "rollout_history_statefulset", "name": "redis"},
    ),
    ("get hpa -n prod", {"operation": "list_hpas", "all_namespaces": False}),
    ("describe hpa/web -n prod", {"operation": "describe_hpa", "name": "web"}),
    (
        "set hpa/web --min 2 --max 10 -n prod",
        {"operation": "set_hpa_replicas", "name": "web", "min_replicas": 2, "max_replicas": 10},
    ),
    (
        "restart the redis statefulset in prod",
        {"operation": "restart_statefulset", "name": "redis"},
    ),
    (
        "how is the web rollout going in prod",
        {"operation": "rollout_status_deployment", "name": "web"},
    ),
    (
        "how is the redis statefulset rollout going in prod",
        {"operation": "rollout_status_statefulset", "name": "redis"},
    ),
    (
        "rollback sts redis to revision 2 in prod",
        {"operation": "rollback_statefulset", "name": "redis", "to_revision": 2},
    ),
    ("statefulsets in prod", {"operation": "list_statefulsets", "all_namespaces": False}),
    ("rollout status web -n prod", {"operation": "rollout_status_deployment", "name": "web"}),
]


@pytest.mark.parametrize(("text", "step"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_parses_to_exactly_this_step(text: str, step: dict[str, Any]) -> None:
    result = parse_command(text)
    assert isinstance(result, Parsed), f"{text!r} -> {result!r}"
    (got,) = result.plan.steps
    expected = {"namespace": "logging" if "logging" in text else "prod", **step}
    assert got.model_dump(mode="json", exclude_none=True) == expected


@pytest.mark.parametrize(
    "text",
    ["restart web -n prod", "scale web 3 -n prod", "rollback web -n prod"],
)
def test_a_bare_name_still_means_a_deployment(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Parsed), result
    assert result.plan.steps[0].kind.endswith("_deployment")


def test_how_is_a_namespace_is_still_the_health_report() -> None:
    result = parse_command("how is prod")
    assert isinstance(result, Parsed)
    assert result.plan.steps[0].kind == "health_report"


def test_scale_of_a_daemonset_names_what_scale_works_on() -> None:
    result = parse_command("scale ds/fluentd --replicas 3 -n logging")
    assert isinstance(result, ParseError)
    assert result.message == "scale works on deployments or statefulsets, not 'ds'"
