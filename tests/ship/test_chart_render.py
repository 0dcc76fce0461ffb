"""The chart rendered by Helm and applied to the real API server (tests/fixtures/ship.py):
objects validate against the Kubernetes schemas, the pod is locked down, RBAC is exactly what
bot.rbac derives from the catalog for the enabled operations, and bad values are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot import rbac
from bot.catalog import OPERATIONS, Risk
from bot.config import Settings
from tests.fixtures.ship import ROOT, ChartInstaller, Rendered

VALIDATE_VERSION = "1.25.0"  # the oldest schema set kubernetes-validate ships
READS = [k for k, op in OPERATIONS.items() if op.risk == Risk.READ]


def _validate(doc: dict[str, Any]) -> None:
    if doc["apiVersion"] == "policy/v1beta1" and doc["kind"] == "PodDisruptionBudget":
        # The v1.20 test server has no policy/v1, so the chart (rightly) picks v1beta1, which
        # the validator's 1.25+ schemas no longer carry; the spec fields used are identical.
        doc = {**doc, "apiVersion": "policy/v1"}
    kubernetes_validate.validate(doc, VALIDATE_VERSION, strict=True)


def _env(rendered: Rendered) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in rendered.bot_container["env"]}


def _rbac_of(rendered: Rendered) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """(ClusterRole rules, namespace -> Role rules), checking every role is bound to the SA."""
    sa = rendered.one("ServiceAccount")["metadata"]["name"]
    for binding in rendered.of_kind("ClusterRoleBinding") + rendered.of_kind("RoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": sa, "namespace": rendered.namespace}
        ]
    bound_cluster = {b["roleRef"]["name"] for b in rendered.of_kind("ClusterRoleBinding")}
    cluster_roles = rendered.of_kind("ClusterRole")
    assert {r["metadata"]["name"] for r in cluster_roles} == bound_cluster
    cluster_rules = [rule for role in cluster_roles for rule in role["rules"]]
    roles: dict[str, list[dict[str, Any]]] = {}
    bound = {
        (b["metadata"]["namespace"], b["roleRef"]["name"]) for b in rendered.of_kind("RoleBinding")
    }
    for role in rendered.of_kind("Role"):
        key = (role["metadata"]["namespace"], role["metadata"]["name"])
        assert key in bound, f"Role {key} is not bound"
        roles[key[0]] = role["rules"]
    return cluster_rules, roles


def _assert_no_secrets(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert not any(r.split("/")[0] == "secrets" for r in rule["resources"]), rule


def test_default_install_validates_and_locks_the_pod_down(helm_chart: ChartInstaller) -> None:
    rendered = helm_chart.install({})
    assert rendered.kinds() == sorted(
        [
            "ServiceAccount",
            "ConfigMap",
            "ConfigMap",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
            "PodDisruptionBudget",
        ]
    )
    assert "Secret" not in rendered.kinds()
    for doc in rendered.docs:
        _validate(doc)
    deployment = rendered.one("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = rendered.bot_container
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["args"] == [
        *["serve", "--platform", "slack", "--mode", "socket"],
        *["--workers", "2", "--worker-threads", "4"],
    ]
    # the pod outlives the workers' grace period (they finish what they hold on SIGTERM)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert pod["terminationGracePeriodSeconds"] == int(env["OPSBOT_SHUTDOWN_GRACE_SECONDS"]) + 10
    assert env["OPSBOT_INTAKE_CLAIM_AFTER_SECONDS"] == "60"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/tmp"] == "tmp"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes["tmp"]
    env = _env(rendered)
    assert env["OPSBOT_HTTP_HOST"] == "0.0.0.0"
    assert env["OPSBOT_POLICY_PATH"] == "/etc/opsbot/policies"
    assert env["OPSBOT_DOCKER_DISABLED"] == "true"
    assert json.loads(env["OPSBOT_ENABLED_OPERATIONS"]) == list(OPERATIONS)
    assert env["SLACK_BOT_TOKEN"] == {
        "secretKeyRef": {"name": "opsbot-credentials", "key": "slack-bot-token"}
    }
    assert env["REDIS_URL"]["secretKeyRef"]["key"] == "redis-url"
    assert env["OPENAI_API_KEY"]["secretKeyRef"]["optional"] is True
    policies = next(d for d in rendered.of_kind("ConfigMap") if "default.yaml" in d["data"])
    assert "grants:" in policies["data"]["default.yaml"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert {"checksum/policies", "checksum/reports", "checksum/rbac"} <= set(annotations)
    pdb = rendered.one("PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1


RBAC_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # name: (chart values, bot.rbac.rules_for keyword arguments)
    "all-operations": ({}, {"kinds": list(OPERATIONS)}),
    "reads-only": ({"operations": {"enabled": READS}}, {"kinds": READS}),
    "impersonation-restricted": (
        {"impersonation": {"enabled": True, "users": ["bob", "alice"], "groups": ["sre"]}},
        {
            "kinds": list(OPERATIONS),
            "impersonation": True,
            "impersonate_users": ["alice", "bob"],
            "impersonate_groups": ["sre"],
        },
    ),
    "scale-only-no-suggestions": (
        {"operations": {"enabled": ["scale_deployment"]}, "rbac": {"namespaceSuggestions": False}},
        {"kinds": ["scale_deployment"], "namespace_suggestions": False},
    ),
    "docker-only": (
        {"operations": {"enabled": ["list_containers", "restart_container"]}},
        {"kinds": ["list_containers", "restart_container"]},
    ),
}


@pytest.mark.parametrize("case", list(RBAC_CASES))
def test_cluster_scope_rbac_is_exactly_what_the_catalog_derives(
    helm_chart: ChartInstaller, case: str
) -> None:
    values, derive = RBAC_CASES[case]
    rendered = helm_chart.install(values)
    expected = rbac.rules_for(**derive)
    cluster_rules, roles = _rbac_of(rendered)
    assert roles == {}
    assert cluster_rules == expected.namespaced + expected.cluster
    _assert_no_secrets(cluster_rules)
    verbs = {v for rule in cluster_rules for v in rule["verbs"]}
    if case == "reads-only":
        assert verbs == {"get", "list"}
    if not derive.get("impersonation"):
        assert "impersonate" not in verbs
    if case == "docker-only":
        assert rendered.of_kind("ClusterRole") == [] and rendered.of_kind("Role") == []


def test_namespaces_scope_gives_roles_per_namespace_and_only_cluster_needs_cluster_wide(
    helm_chart: ChartInstaller,
) -> None:
    targets = [helm_chart.cluster.namespace("team-a"), helm_chart.cluster.namespace("team-b")]
    rendered = helm_chart.install(
        {
            "rbac": {"scope": "namespaces", "namespaces": targets},
            "impersonation": {"enabled": True, "users": ["alice"], "groups": ["sre"]},
        }
    )
    expected = rbac.rules_for(
        list(OPERATIONS),
        impersonation=True,
        impersonate_users=["alice"],
        impersonate_groups=["sre"],
    )
    cluster_rules, roles = _rbac_of(rendered)
    assert sorted(roles) == sorted(targets)
    for rules in roles.values():
        assert rules == expected.namespaced
        _assert_no_secrets(rules)
    assert cluster_rules == expected.cluster
    assert {r["resources"][0] for r in cluster_rules} == {"namespaces", "nodes", "users", "groups"}
    for doc in rendered.docs:
        _validate(doc)


def test_a_policy_change_rolls_the_pods(helm_chart: ChartInstaller) -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        deployment = helm_chart.install(values).one("Deployment")
        found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return found

    policy = "grants:\n  - name: reads\n    users: ['*']\n    actions: [read]\n"
    base = annotations({"policies": {"files": {"team.yaml": policy}}})
    same = annotations({"policies": {"files": {"team.yaml": policy}}})
    changed = annotations({"policies": {"files": {"team.yaml": policy.replace("read]", "write]")}}})
    reports = annotations(
        {
            "policies": {"files": {"team.yaml": policy}},
            "reports": {"config": {"schedules": [{"name": "morning", "cron": "0 8 * * 1-5"}]}},
        }
    )
    assert base["checksum/policies"] == same["checksum/policies"]
    assert base["checksum/policies"] != changed["checksum/policies"]
    assert base["checksum/reports"] == changed["checksum/reports"]
    assert base["checksum/reports"] != reports["checksum/reports"]


def test_optional_parts_render_and_validate(
    helm_chart: ChartInstaller, service_monitor_crd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = helm_chart.install(
        {
            "replicaCount": 3,
            "slack": {
                "mode": "http",
                "channels": ["C0123ABC"],
                "groupMap": {"S0SRE1234": "sre"},
            },
            "redis": {"internal": {"enabled": True}},
            "approvals": {"interruptedAfterSeconds": 600, "maxPendingPerUser": 3},
            "limits": {"requestsPerMinute": 60, "llmRequestsPerMinute": 4},
            "llm": {"maxLookupsPerReply": 2, "maxLookupsPerRequest": 7},
            "networkPolicy": {"enabled": True},
            "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
            "docker": {"hosts": {"build": "tcp://build-host:2376"}},
            "impersonation": {
                "enabled": True,
                "userMap": {"U123": "alice"},
                "users": ["alice"],
                "groups": ["sre"],
            },
        }
    )
    kinds = rendered.kinds()
    assert kinds.count("Deployment") == 2 and kinds.count("Service") == 2
    assert kinds.count("NetworkPolicy") == 2 and "ServiceMonitor" in kinds
    for doc in rendered.docs:
        if doc["kind"] != "ServiceMonitor":  # a CRD: no schema in kubernetes-validate
            _validate(doc)
    env = _env(rendered)
    redis_service = next(
        s
        for s in rendered.of_kind("Service")
        if s["metadata"]["labels"]["app.kubernetes.io/component"] == "redis"
    )
    assert env["REDIS_URL"] == f"redis://{redis_service['metadata']['name']}:6379/0"
    assert json.loads(env["OPSBOT_DOCKER_HOSTS"]) == {"build": "tcp://build-host:2376"}
    assert json.loads(env["OPSBOT_KUBE_USER_MAP"]) == {"U123": "alice"}
    assert json.loads(env["OPSBOT_SLACK_CHANNELS"]) == ["C0123ABC"]
    assert json.loads(env["OPSBOT_SLACK_GROUP_MAP"]) == {"S0SRE1234": "sre"}
    assert env["OPSBOT_KUBE_IMPERSONATE"] == "true"
    assert "SLACK_SIGNING_SECRET" in env and "SLACK_APP_TOKEN" not in env
    container = rendered.bot_container
    assert container["args"] == [
        "serve",
        "--platform",
        "slack",
        "--mode",
        "http",
        "--host",
        "0.0.0.0",
        "--port",
        "3000",
        *["--workers", "2", "--worker-threads", "4"],
    ]
    assert {p["name"] for p in container["ports"]} == {"http-metrics", "slack"}
    redis_pod = next(
        d
        for d in rendered.of_kind("Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "redis"
    )["spec"]["template"]["spec"]
    assert redis_pod["securityContext"]["runAsNonRoot"] is True
    assert redis_pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert "WARNING: the internal Redis" in rendered.notes

    # the environment the chart sets is read by the bot's own Settings as intended
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.kube_in_cluster and settings.kube_impersonate
    assert settings.kube_user_map == {"U123": "alice"}
    assert settings.docker_hosts == {"build": "tcp://build-host:2376"}
    assert settings.slack_channels == ["C0123ABC"]
    assert settings.slack_group_map == {"S0SRE1234": "sre"}
    assert settings.enabled_operations == list(OPERATIONS)
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8080)
    assert settings.readiness_timeout_seconds == 3
    assert settings.interrupted_after_seconds == 600
    assert settings.max_pending_per_user == 3
    assert settings.request_rate_limit_per_minute == 60
    assert settings.llm_rate_limit_per_minute == 4
    assert (settings.llm_max_lookups_per_reply, settings.llm_max_lookups_per_request) == (2, 7)
    assert settings.redis_url == env["REDIS_URL"]
    assert str(settings.policy_path) == "/etc/opsbot/policies"


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicaCount": "two"}, "replicaCount"),
        ({"replicas": 3}, "replicas"),
        ({"limits": {"requestsPerMinute": 0}}, "requestsPerMinute"),
        ({"redis": {"url": "redis+sentinl://h:26379/m"}}, "url"),
        ({"approvals": {"maxPendingPerUser": 1000}}, "maxPendingPerUser"),
        ({"rbac": {"scope": "everything"}}, "scope"),
        ({"operations": {"enabled": ["format_disk"]}}, "/operations/enabled/0"),
        ({"rbac": {"scope": "namespaces"}}, "rbac.namespaces is empty"),
        ({"existingSecret": {"name": ""}}, "existingSecret.name is required"),
    ],
)
def test_helm_refuses_bad_values(
    helm_chart: ChartInstaller, values: dict[str, Any], complaint: str
) -> None:
    import helm_sdkpy

    with pytest.raises(helm_sdkpy.HelmError, match=complaint):
        helm_chart.install(values)


def test_rendered_config_maps_are_configs_the_bot_accepts(
    helm_chart: ChartInstaller, tmp_path: Path
) -> None:
    """The policies and reports.yaml the pods mount load with the bot's own loaders."""
    from bot.policy import load_policy
    from bot.reports.schedules import parse_reports_config

    example = yaml.safe_load((ROOT / "deploy/reports.example.yaml").read_text())
    rendered = helm_chart.install({"reports": {"config": example}})
    maps = {
        d["metadata"]["name"].rsplit("-", 1)[-1]: d["data"] for d in rendered.of_kind("ConfigMap")
    }
    for name, content in maps["policies"].items():
        (tmp_path / name).write_text(content)
    policy = load_policy(tmp_path)  # raises PolicyError listing every problem
    assert [f.name for f in policy.files] == ["default.yaml"] and policy.rule_count > 0
    reports = parse_reports_config(maps["reports"]["reports.yaml"], source="chart reports.yaml")
    assert [s.name for s in reports.schedules] == [s["name"] for s in example["schedules"]]


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://sentinel-0.redis:26379,sentinel-1.redis:26379/mymaster/0",
        "redis+cluster://redis-0.redis:7000,redis-1.redis:7001",
        "rediss+sentinel://sentinel-0.redis:26379/mymaster",
    ],
)
def test_sentinel_and_cluster_urls_pass_the_schema_and_reach_the_bot(
    helm_chart: ChartInstaller, url: str
) -> None:
    from bot.redis_url import RedisMode, parse

    env = _env(helm_chart.install({"redis": {"url": url}}))
    assert env["REDIS_URL"] == url
    assert parse(env["REDIS_URL"]).mode in {
        RedisMode.SENTINEL,
        RedisMode.CLUSTER,
    }  # the bot's own parser accepts what the chart passes
