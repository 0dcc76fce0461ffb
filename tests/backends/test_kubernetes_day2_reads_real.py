"""Day-2 reads against the REAL API server (v1.20): Services with Endpoints written as admin,
an Ingress through networking.k8s.io/v1 (picked by discovery), ConfigMaps (keys and sizes;
values redacted), namespaces, a PVC, and the generic `get KIND` on a CRD, rendered from the
server-side Table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings
from tests.backends.test_kubernetes_real import create_deployment, wait_for
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real


def as_user(real_k8s: RealCluster, context: str) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0}),
        api_client_factory=lambda ctx: real_k8s.api_client(ctx or context),
    )


def run(k8s: KubernetesBackend, **params: object):  # type: ignore[no-untyped-def]
    return k8s.execute(parse_operation(params))


def test_services_with_ready_and_not_ready_endpoints(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("svc")
    core = client.CoreV1Api(real_k8s.admin())
    core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]},
        },
    )
    core.create_namespaced_endpoints(
        ns,
        {
            "metadata": {"name": "web"},
            "subsets": [
                {
                    "addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                    "notReadyAddresses": [{"ip": "10.0.0.3"}],
                    "ports": [{"port": 8080, "protocol": "TCP"}],
                }
            ],
        },
    )
    k8s = as_user(real_k8s, "admin")
    listed = run(k8s, operation="list_services", namespace=ns)
    assert listed.status == Status.SUCCESS, listed.error
    [row] = listed.data["services"]
    assert (row["type"], row["ports"]) == ("ClusterIP", ["80/TCP->8080"])
    assert (row["endpoints_ready"], row["endpoints_not_ready"]) == (2, 1)
    assert "2 ready, 1 not ready" in (listed.text or "")
    described = run(k8s, operation="describe_service", namespace=ns, name="web")
    assert described.status == Status.SUCCESS, described.error
    assert "10.0.0.3 NOT READY" in (described.text or "")
    assert sorted(a["ip"] for a in described.data["addresses"] if a["ready"]) == [
        "10.0.0.1",
        "10.0.0.2",
    ]
    missing = run(k8s, operation="describe_service", namespace=ns, name="nope")
    assert missing.error_kind == ErrorKind.NOT_FOUND


def test_ingress_by_discovery_shows_hosts_paths_backends_and_tls(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("ing")
    client.NetworkingV1Api(real_k8s.admin()).create_namespaced_ingress(
        ns,
        {
            "metadata": {"name": "site"},
            "spec": {
                "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                "rules": [
                    {
                        "host": "shop.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/api",
                                    "pathType": "Prefix",
                                    "backend": {
                                        "service": {"name": "api", "port": {"number": 8080}}
                                    },
                                }
                            ]
                        },
                    }
                ],
            },
        },
    )
    result = run(as_user(real_k8s, "admin"), operation="list_ingresses", namespace=ns)
    assert result.status == Status.SUCCESS, result.error
    assert f"GET /apis/networking.k8s.io/v1/namespaces/{ns}/ingresses" in result.call
    [row] = result.data["ingresses"]
    assert row["rules"] == ["shop.example.com/api -> api:8080"]
    assert row["tls"] == ["shop.example.com (cert shop-tls)"]


def test_configmap_keys_by_default_values_redacted_on_request(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("cm")
    client.CoreV1Api(real_k8s.admin()).create_namespaced_config_map(
        ns,
        {
            "metadata": {"name": "app-config"},
            "data": {
                "LOG_LEVEL": "debug",
                "DB_PASSWORD": "Hunter2-Cm-Secret-91",
                "settings.ini": "url=https://x\napi_key = Cm-Api-Key-Value-92\n",
            },
        },
    )
    k8s = as_user(real_k8s, "admin")
    listed = run(k8s, operation="get_configmaps", namespace=ns)
    assert "app-config" in [r["name"] for r in listed.data["configmaps"]]
    keys = run(k8s, operation="get_configmaps", namespace=ns, name="app-config")
    assert keys.status == Status.SUCCESS, keys.error
    assert {k["key"]: k["bytes"] for k in keys.data["keys"]}["LOG_LEVEL"] == 5
    shown = keys.model_dump_json()
    assert "debug" not in (keys.text or "") and "Hunter2-Cm-Secret-91" not in shown
    values = run(k8s, operation="read_configmap_values", namespace=ns, name="app-config")
    assert values.status == Status.SUCCESS, values.error
    assert values.data["values"]["LOG_LEVEL"] == "debug"
    assert values.data["values"]["DB_PASSWORD"] == "[REDACTED]"
    dumped = values.model_dump_json()
    assert "Hunter2-Cm-Secret-91" not in dumped and "Cm-Api-Key-Value-92" not in dumped


def test_namespaces_and_pending_pvc(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("pvc")
    client.CoreV1Api(real_k8s.admin()).create_namespaced_persistent_volume_claim(
        ns,
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "slow",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    k8s = as_user(real_k8s, "admin")
    namespaces = run(k8s, operation="list_namespaces")
    assert {"name": ns, "status": "Active"}.items() <= next(
        r for r in namespaces.data["namespaces"] if r["name"] == ns
    ).items()
    pvcs = run(k8s, operation="list_pvcs", namespace=ns)
    [row] = pvcs.data["pvcs"]
    assert (row["status"], row["capacity"], row["storage_class"]) == (
        "Pending",
        "1Gi requested",
        "slow",
    )


@pytest.fixture
def widget_crd(real_k8s: RealCluster) -> Iterator[str]:
    ext = client.ApiextensionsV1Api(real_k8s.admin())
    group = f"t{uuid.uuid4().hex[:6]}.example.com"
    ext.create_custom_resource_definition(
        {
            "metadata": {"name": f"widgets.{group}"},
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {
                    "plural": "widgets",
                    "singular": "widget",
                    "kind": "Widget",
                    "shortNames": ["wdg"],
                },
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                        "additionalPrinterColumns": [
                            {"name": "Color", "type": "string", "jsonPath": ".spec.color"}
                        ],
                    }
                ],
            },
        }
    )
    try:
        wait_for(
            "widgets served",
            lambda: any(
                r.name == "widgets"
                for r in client.CustomObjectsApi(real_k8s.admin())
                .get_api_resources(group, "v1")
                .resources
            ),
        )
        yield group
    finally:
        ext.delete_custom_resource_definition(f"widgets.{group}")


def test_generic_get_of_a_crd_uses_the_server_table(real_k8s: RealCluster, widget_crd: str) -> None:
    group = widget_crd
    ns = real_k8s.namespace("generic")
    client.CustomObjectsApi(real_k8s.admin()).create_namespaced_custom_object(
        group,
        "v1",
        ns,
        "widgets",
        {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w1"},
            "spec": {"color": "teal"},
        },
    )
    k8s = as_user(real_k8s, "admin")
    for word in ("widgets", "wdg", "widget", f"widgets.{group}", f"widgets.v1.{group}"):
        result = run(k8s, operation="get_resource", namespace=ns, resource_type=word)
        assert result.status == Status.SUCCESS, (word, result.error)
        assert result.data["columns"] == ["NAME", "COLOR"], word
        assert result.data["rows"][0][:2] == ["w1", "teal"]
    one = run(k8s, operation="get_resource", namespace=ns, resource_type="wdg", name="w1")
    assert one.data["count"] == 1 and f"/namespaces/{ns}/widgets/w1" in one.call
    every = run(k8s, operation="get_resource", all_namespaces=True, resource_type="wdg")
    assert every.data["columns"][0] == "NAMESPACE" and every.data["rows"][0][0] == ns
    unknown = run(k8s, operation="get_resource", namespace=ns, resource_type="gizmos")
    assert unknown.error_kind == ErrorKind.NOT_FOUND
    assert "no resource type 'gizmos'" in (unknown.error or "")
    forbidden = run(
        as_user(real_k8s, "opsbot"), operation="get_resource", namespace=ns, resource_type="wdg"
    )
    assert forbidden.error_kind == ErrorKind.FORBIDDEN, forbidden.error


def test_generic_get_of_built_in_and_cluster_scoped_kinds(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("generic-b")
    create_deployment(real_k8s, ns, "web", replicas=1)
    k8s = as_user(real_k8s, "admin")
    deploys = run(k8s, operation="get_resource", namespace=ns, resource_type="deploy")
    assert deploys.data["columns"][:4] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"]
    assert deploys.data["resource"] == "deployments.apps"
    nodes = run(k8s, operation="get_resource", resource_type="no")
    assert nodes.status == Status.SUCCESS, nodes.error
    assert nodes.data["namespaced"] is False and "/api/v1/nodes" in nodes.call
    assert "STATUS" in nodes.data["columns"]
