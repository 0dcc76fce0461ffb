"""The chart's RBAC applied to the real API server, exercised with the ServiceAccount's own
token: what the enabled operations need works, everything else (Secrets above all) is 403."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from bot import rbac
from bot.catalog import OPERATIONS, Risk
from tests.fixtures.services import RealCluster
from tests.fixtures.ship import ChartInstaller, Rendered

READS = [k for k, op in OPERATIONS.items() if op.risk == Risk.READ]


def _service_account_client(cluster: RealCluster, rendered: Rendered) -> Any:
    """An ApiClient authenticated with the token of the ServiceAccount the chart created."""
    core = client.CoreV1Api(cluster.admin())
    name = rendered.one("ServiceAccount")["metadata"]["name"]
    deadline = time.monotonic() + 30
    token = None
    while token is None and time.monotonic() < deadline:
        account = core.read_namespaced_service_account(name, rendered.namespace)
        for ref in account.secrets or []:
            secret = core.read_namespaced_secret(ref.name, rendered.namespace)
            if secret.data and "token" in secret.data:
                token = base64.b64decode(secret.data["token"]).decode()
        if token is None:
            time.sleep(0.1)
    assert token, f"no token for ServiceAccount {name} within 30 s (token controller running?)"
    admin = cluster.admin().configuration
    config = client.Configuration()
    config.host = admin.host
    config.ssl_ca_cert = admin.ssl_ca_cert
    config.verify_ssl = admin.verify_ssl
    config.api_key = {"BearerToken": f"Bearer {token}"}
    return client.ApiClient(config)


def _status(call: Callable[[], Any]) -> tuple[int, str]:
    try:
        call()
    except ApiException as exc:
        return int(exc.status), str(exc.body)
    return 200, ""


def _stage(cluster: RealCluster, namespace: str) -> None:
    """As admin: a Deployment `web` and a Secret `db-password` in `namespace`."""
    labels = {"app": "web"}
    client.AppsV1Api(cluster.admin()).create_namespaced_deployment(
        namespace,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1DeploymentSpec(
                replicas=1,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(
                        containers=[client.V1Container(name="web", image="busybox:1.36")]
                    ),
                ),
            ),
        ),
    )
    client.CoreV1Api(cluster.admin()).create_namespaced_secret(
        namespace,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="db-password"), string_data={"password": "s3cret"}
        ),
    )


def _scale(api: Any, namespace: str, replicas: int) -> Callable[[], Any]:
    apps = client.AppsV1Api(api)
    return lambda: apps.patch_namespaced_deployment_scale(
        "web", namespace, {"spec": {"replicas": replicas}}
    )


def test_cluster_scope_all_operations(helm_chart: ChartInstaller) -> None:
    cluster = helm_chart.cluster
    target = cluster.namespace("apps")
    _stage(cluster, target)
    rendered = helm_chart.install({})
    bot = _service_account_client(cluster, rendered)
    core, apps = client.CoreV1Api(bot), client.AppsV1Api(bot)

    assert _status(lambda: core.list_namespaced_pod(target))[0] == 200
    assert _status(lambda: core.list_pod_for_all_namespaces())[0] == 200
    assert _status(lambda: core.list_node())[0] == 200
    assert _status(lambda: core.list_namespace())[0] == 200
    assert _status(lambda: apps.list_namespaced_replica_set(target))[0] == 200
    assert _status(_scale(bot, target, 3))[0] == 200
    scale = client.AppsV1Api(cluster.admin()).read_namespaced_deployment_scale("web", target)
    assert scale.spec.replicas == 3
    assert (
        _status(
            lambda: apps.patch_namespaced_deployment(
                "web", target, {"spec": {"template": {"metadata": {"annotations": {"x": "1"}}}}}
            )
        )[0]
        == 200
    )

    for call in (
        lambda: core.read_namespaced_secret("db-password", target),
        lambda: core.list_namespaced_secret(target),
        lambda: core.list_secret_for_all_namespaces(),
        lambda: apps.delete_namespaced_deployment("web", target),
        lambda: core.create_namespaced_config_map(
            target, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x"))
        ),
        lambda: core.delete_node("opsbot-fake-node"),  # nodes: patch (cordon) only
    ):
        status, body = _status(call)
        assert status == 403, body

    impersonating = _service_account_client(cluster, rendered)
    impersonating.set_default_header("Impersonate-User", "alice")
    status, body = _status(lambda: client.CoreV1Api(impersonating).list_namespaced_pod(target))
    assert status == 403 and "impersonate" in body, body


def test_reads_only_cannot_write(helm_chart: ChartInstaller) -> None:
    cluster = helm_chart.cluster
    target = cluster.namespace("apps")
    _stage(cluster, target)
    rendered = helm_chart.install({"operations": {"enabled": READS}})
    bot = _service_account_client(cluster, rendered)
    core = client.CoreV1Api(bot)
    assert _status(lambda: core.list_namespaced_pod(target))[0] == 200
    assert _status(lambda: core.list_namespaced_event(target))[0] == 200
    status, body = _status(_scale(bot, target, 2))
    assert status == 403, body
    pods = client.CoreV1Api(cluster.admin()).list_namespaced_pod(target).items
    if pods:
        status, body = _status(lambda: core.delete_namespaced_pod(pods[0].metadata.name, target))
        assert status == 403, body
    assert _status(lambda: core.read_namespaced_secret("db-password", target))[0] == 403


def test_namespaces_scope_and_restricted_impersonation(helm_chart: ChartInstaller) -> None:
    cluster = helm_chart.cluster
    allowed, other = cluster.namespace("team-a"), cluster.namespace("team-b")
    _stage(cluster, allowed)
    _stage(cluster, other)
    rendered = helm_chart.install(
        {
            "rbac": {"scope": "namespaces", "namespaces": [allowed]},
            "impersonation": {"enabled": True, "users": ["alice"], "groups": ["sre"]},
        }
    )
    bot = _service_account_client(cluster, rendered)
    core = client.CoreV1Api(bot)
    assert _status(lambda: core.list_namespaced_pod(allowed))[0] == 200
    assert _status(_scale(bot, allowed, 2))[0] == 200
    assert _status(lambda: core.list_node())[0] == 200  # health reports need nodes
    for call in (
        lambda: core.list_namespaced_pod(other),
        _scale(bot, other, 2),
        lambda: core.list_pod_for_all_namespaces(),
        lambda: core.read_namespaced_secret("db-password", allowed),
    ):
        status, body = _status(call)
        assert status == 403, body

    def as_user(user: str, group: str) -> tuple[int, str]:
        api = _service_account_client(cluster, rendered)
        api.set_default_header("Impersonate-User", user)
        api.set_default_header("Impersonate-Group", group)
        return _status(lambda: client.CoreV1Api(api).list_namespaced_pod(allowed))

    status, body = as_user("alice", "sre")
    assert "cannot impersonate" not in body, body  # the request ran as alice (her RBAC decides)
    for user, group in (("mallory", "sre"), ("alice", "system:masters")):
        status, body = as_user(user, group)
        assert status == 403 and "cannot impersonate" in body, (user, group, body)


def test_cluster_scoped_resources_match_the_api_server(real_k8s: RealCluster) -> None:
    """bot.rbac's list of cluster-scoped resources agrees with the server's discovery."""
    rules = rbac.rules_for(list(OPERATIONS), impersonation=False)
    resources = {r["resources"][0] for r in rules.namespaced + rules.cluster}
    discovered: dict[str, bool] = {}
    admin = real_k8s.admin()
    groups = {r["apiGroups"][0] for r in rules.namespaced + rules.cluster}
    paths = ["/api/v1"] if "" in groups else []
    for group in client.ApisApi(admin).get_api_versions().groups:
        if group.name in groups:  # every version the server serves of the groups the rules name
            paths += [f"/apis/{v.group_version}" for v in group.versions]
    for path in paths:
        method, url, headers, body, _ = admin.param_serialize(
            method="GET", resource_path=path, auth_settings=["BearerToken"]
        )
        answer = admin.call_api(method, url, header_params=headers, body=body)
        answer.read()
        for resource in json.loads(answer.data)["resources"]:
            discovered[resource["name"]] = resource["namespaced"]
    missing = resources - set(discovered)
    assert not missing, f"resources the server does not know: {missing}"
    for resource in resources:
        assert (resource in rbac.CLUSTER_SCOPED_RESOURCES) == (not discovered[resource]), resource


@pytest.mark.parametrize("kinds", [list(OPERATIONS), READS, ["delete_pod"], []])
def test_rules_for_never_grants_secrets_or_impersonation_unasked(kinds: list[str]) -> None:
    rules = rbac.rules_for(kinds)
    for rule in rules.namespaced + rules.cluster:
        assert "secrets" not in rule["resources"] and "impersonate" not in rule["verbs"]
    if not kinds:
        assert rules.namespaced == [] and rules.cluster == []


def test_rules_for_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown operation kind"):
        rbac.rules_for(["format_disk"])
