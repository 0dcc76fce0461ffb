"""Every example from the issue parses to exactly these steps (kind and every parameter)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.parsing import Parsed, parse_command
from bot.plan import Plan

# Full step dicts (model_dump(mode="json", exclude_none=True)): defaults included, so a
# changed default or a stray parameter fails the test.
EXAMPLES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "scale deploy/web --replicas 5 -n prod",
        [{"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}],
    ),
    (
        "scale deployment web to 5 in prod",
        [{"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}],
    ),
    (
        "scale deploy/web to 5 in prod",
        [{"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}],
    ),
    (
        "scale web 5 -n prod",
        [{"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}],
    ),
    (
        "restart deploy/web -n prod",
        [{"operation": "restart_deployment", "namespace": "prod", "name": "web"}],
    ),
    (
        "rollout restart deployment/web -n prod",
        [{"operation": "restart_deployment", "namespace": "prod", "name": "web"}],
    ),
    (
        "rollback deploy/web -n prod",
        [{"operation": "rollback_deployment", "namespace": "prod", "name": "web"}],
    ),
    (
        "rollout undo deploy/web --to-revision 3 -n prod",
        [
            {
                "operation": "rollback_deployment",
                "namespace": "prod",
                "name": "web",
                "to_revision": 3,
            }
        ],
    ),
    (
        "undo deploy web in prod",
        [{"operation": "rollback_deployment", "namespace": "prod", "name": "web"}],
    ),
    (
        "logs pod/api-7f9c -n staging --tail 100",
        [
            {
                "operation": "pod_logs",
                "namespace": "staging",
                "name": "api-7f9c",
                "tail_lines": 100,
                "previous": False,
            }
        ],
    ),
    (
        "logs api-7f9c in staging --tail 50 --previous -c app --since 10m",
        [
            {
                "operation": "pod_logs",
                "namespace": "staging",
                "name": "api-7f9c",
                "container": "app",
                "tail_lines": 50,
                "since_seconds": 600,
                "previous": True,
            }
        ],
    ),
    (
        "list pods -n prod -l app=web",
        [
            {
                "operation": "list_pods",
                "namespace": "prod",
                "all_namespaces": False,
                "label_selector": "app=web",
            }
        ],
    ),
    (
        "get pods -A",
        [{"operation": "list_pods", "namespace": "default", "all_namespaces": True}],
    ),
    (
        "pods in prod",
        [{"operation": "list_pods", "namespace": "prod", "all_namespaces": False}],
    ),
    (
        "describe pod api-7f9c -n prod",
        [{"operation": "describe_pod", "namespace": "prod", "name": "api-7f9c"}],
    ),
    (
        "get deployments -n prod",
        [{"operation": "list_deployments", "namespace": "prod", "all_namespaces": False}],
    ),
    (
        "describe deploy web -n prod",
        [{"operation": "describe_deployment", "namespace": "prod", "name": "web"}],
    ),
    (
        "get events -n prod",
        [
            {
                "operation": "list_events",
                "namespace": "prod",
                "all_namespaces": False,
                "warnings_only": False,
                "limit": 50,
            }
        ],
    ),
    (
        "events in prod --warnings",
        [
            {
                "operation": "list_events",
                "namespace": "prod",
                "all_namespaces": False,
                "warnings_only": True,
                "limit": 50,
            }
        ],
    ),
    (
        "events for web -n prod",
        [
            {
                "operation": "list_events",
                "namespace": "prod",
                "all_namespaces": False,
                "object_name": "web",
                "warnings_only": False,
                "limit": 50,
            }
        ],
    ),
    (
        "delete pod api-7f9c -n prod",
        [{"operation": "delete_pod", "namespace": "prod", "name": "api-7f9c"}],
    ),
    (
        "delete pod/api-7f9c -n prod --grace-period 0",
        [
            {
                "operation": "delete_pod",
                "namespace": "prod",
                "name": "api-7f9c",
                "grace_period_seconds": 0,
            }
        ],
    ),
    ("docker ps", [{"operation": "list_containers", "host": "default", "all": False}]),
    ("docker ps -a", [{"operation": "list_containers", "host": "default", "all": True}]),
    (
        "docker ps --host edge-1",
        [{"operation": "list_containers", "host": "edge-1", "all": False}],
    ),
    (
        "docker inspect web-1",
        [{"operation": "inspect_container", "host": "default", "container": "web-1"}],
    ),
    (
        "docker logs web-1 --tail 50",
        [
            {
                "operation": "container_logs",
                "host": "default",
                "container": "web-1",
                "tail_lines": 50,
            }
        ],
    ),
    (
        "docker start web-1",
        [{"operation": "start_container", "host": "default", "container": "web-1"}],
    ),
    (
        "docker stop web-1 -t 5",
        [
            {
                "operation": "stop_container",
                "host": "default",
                "container": "web-1",
                "timeout_seconds": 5,
            }
        ],
    ),
    (
        "docker restart web-1",
        [
            {
                "operation": "restart_container",
                "host": "default",
                "container": "web-1",
                "timeout_seconds": 10,
            }
        ],
    ),
    (
        "docker restart web-1 on edge-1",
        [
            {
                "operation": "restart_container",
                "host": "edge-1",
                "container": "web-1",
                "timeout_seconds": 10,
            }
        ],
    ),
    ("health", [{"operation": "health_report"}]),
    ("health prod", [{"operation": "health_report", "namespace": "prod"}]),
    ("health -n prod", [{"operation": "health_report", "namespace": "prod"}]),
    ("report", [{"operation": "health_report"}]),
    # Kubernetes context, flag and English forms.
    (
        "get pods --context east -n kube-system",
        [
            {
                "operation": "list_pods",
                "context": "east",
                "namespace": "kube-system",
                "all_namespaces": False,
            }
        ],
    ),
    (
        "scale web to 5 in cluster east",
        [
            {
                "operation": "scale_deployment",
                "context": "east",
                "namespace": "default",
                "name": "web",
                "replicas": 5,
            }
        ],
    ),
    # Multi-step plans.
    (
        "scale deploy/web to 5 in prod; restart deploy/api -n prod",
        [
            {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5},
            {"operation": "restart_deployment", "namespace": "prod", "name": "api"},
        ],
    ),
    (
        "restart deploy/api && scale web to 5 replicas",
        [
            {"operation": "restart_deployment", "namespace": "default", "name": "api"},
            {"operation": "scale_deployment", "namespace": "default", "name": "web", "replicas": 5},
        ],
    ),
    (
        "get pods -l \u201capp in (web, api)\u201d -n prod",
        [
            {
                "operation": "list_pods",
                "namespace": "prod",
                "all_namespaces": False,
                "label_selector": "app in (web, api)",
            }
        ],
    ),
    (
        "scale web to 5 replicas in prod, then restart api and then docker ps",
        [
            {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5},
            {"operation": "restart_deployment", "namespace": "default", "name": "api"},
            {"operation": "list_containers", "host": "default", "all": False},
        ],
    ),
]


def _steps(text: str) -> list[dict[str, Any]]:
    result = parse_command(text)
    assert isinstance(result, Parsed), f"{text!r} -> {result!r}"
    assert result.plan.source == "command"
    return [step.model_dump(mode="json", exclude_none=True) for step in result.plan.steps]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_parses_to_exact_steps(text: str, expected: list[dict[str, Any]]) -> None:
    assert _steps(text) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "<@U123> scale deploy/web to 5 in prod",
        "<@U0ABC|opsbot>: scale deploy/web to 5 in prod",
        "/ops scale deploy/web to 5 in prod",
        "<@U123> /ops `scale deploy/web to 5 in prod`",
        "  ```scale deploy/web to 5 in prod```  ",
        "SCALE Deploy/web TO 5 IN prod",
        "scale deploy/web --replicas=5 --namespace=prod",
        "scale deploy/web to 5 replicas in namespace prod",
        "scale 'web' 5 -n prod",
    ],
)
def test_prefixes_case_and_spellings_do_not_change_the_plan(variant: str) -> None:
    assert _steps(variant) == _steps("scale deploy/web --replicas 5 -n prod")


def test_namespace_defaults_to_default() -> None:
    for text in ("restart deploy/web", "get pods", "logs api-1", "events for web"):
        (step,) = _steps(text)
        assert step["namespace"] == "default", text


def test_docker_logs_accepts_docker_cli_short_tail_and_since() -> None:
    assert _steps("docker logs web-1 -n 20 --since 2h --host edge-1") == [
        {
            "operation": "container_logs",
            "host": "edge-1",
            "container": "web-1",
            "tail_lines": 20,
            "since_seconds": 7200,
        }
    ]


@pytest.mark.parametrize(
    ("since", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)]
)
def test_durations_become_seconds(since: str, seconds: int) -> None:
    (step,) = _steps(f"logs api-1 --since {since}")
    assert step["since_seconds"] == seconds


def test_ten_steps_is_the_limit() -> None:
    ten = "; ".join(f"restart deploy/web-{i}" for i in range(10))
    assert [s["name"] for s in _steps(ten)] == [f"web-{i}" for i in range(10)]


def test_plan_json_has_the_documented_step_keys() -> None:
    result = parse_command("scale deploy/web to 5 in prod")
    assert isinstance(result, Parsed)
    body = json.loads(json.dumps(result.plan.model_dump(mode="json")))
    (step,) = body["steps"]
    assert step["operation"] == "scale_deployment"
    assert step["namespace"] == "prod"
    assert step["name"] == "web"
    assert step["replicas"] == 5
    assert body["source"] == "command"
    assert len(body["digest"]) == 64
    # Our own JSON validates back into the same plan (the digest is checked on the way in).
    assert Plan.model_validate(body) == result.plan


def test_same_command_written_two_ways_has_the_same_digest() -> None:
    a = parse_command("scale deploy/web --replicas 5 -n prod")
    b = parse_command("scale deployment web to 5 in prod")
    assert isinstance(a, Parsed) and isinstance(b, Parsed)
    assert a.plan.digest == b.plan.digest


def test_how_is_namespace_asks_for_a_health_report() -> None:
    for text, namespace in (("how is prod?", "prod"), ("how's staging?", "staging")):
        result = parse_command(text)
        assert isinstance(result, Parsed), result
        assert result.plan.steps[0].model_dump(exclude_none=True) == {
            "operation": "health_report",
            "namespace": namespace,
        }
