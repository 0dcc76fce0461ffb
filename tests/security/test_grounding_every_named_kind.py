"""Invariant 5 for every catalog operation: a name the model proposes is checked against the
live objects of the resource that operation acts on (derived from the catalog's `resource`),
never only for a hand-kept list of kinds. An operation added to the catalog is grounded too,
and the live inventory (KubernetesBackend.known_names) can list every such resource, cluster-
scoped Nodes included, on the real API server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from bot.backends.kubernetes import KubernetesBackend
from bot.backends.kubernetes_names import catalog_types
from bot.catalog import OPERATION_TYPES, BackendKind, Operation, parse_operation
from bot.config import Settings
from bot.live_inventory import BackendInventory
from bot.planning.grounding import check_operation
from tests.backends.test_kubernetes_jobs_nodes_real import create_cronjob
from tests.fixtures.services import RealCluster


class OneObjectPerResource:
    """Inventory with namespace prod holding one object, `real`, of every resource asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def namespaces(self) -> list[str]:
        return ["prod"]

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        self.asked.append(resource)
        return ["real"]


def _named_kubernetes_kinds() -> list[type[Operation]]:
    return [
        t
        for t in OPERATION_TYPES
        if t.backend == BackendKind.KUBERNETES and "name" in t.model_fields
    ]


def _step(op_type: type[Operation], name: str, namespace: str = "prod", **extra: Any) -> Operation:
    data: dict[str, Any] = {"operation": op_type.kind, "name": name, **extra}
    if "namespace" in op_type.model_fields:  # Nodes are cluster-scoped: no namespace
        data["namespace"] = namespace
    for field, info in op_type.model_fields.items():
        if info.is_required() and field not in data:
            data[field] = "configmaps" if field == "resource_type" else 1
    return parse_operation(data)


@pytest.mark.parametrize("op_type", _named_kubernetes_kinds(), ids=lambda t: t.kind)
def test_an_invented_name_is_rejected(op_type: type[Operation]) -> None:
    inventory = OneObjectPerResource()
    step = _step(op_type, "ghost")
    report = check_operation(step, inventory=inventory, allowed_namespaces=["*"])
    assert report.rejected_names == ["ghost"], f"{op_type.kind} was not grounded"
    assert step.named_resource in inventory.asked
    assert "did you mean" not in report.problems[0] or "'real'" in report.problems[0]


@pytest.mark.parametrize("op_type", _named_kubernetes_kinds(), ids=lambda t: t.kind)
def test_an_existing_name_passes(op_type: type[Operation]) -> None:
    report = check_operation(
        _step(op_type, "real"), inventory=OneObjectPerResource(), allowed_namespaces=["*"]
    )
    assert report.problems == []


def test_get_resource_is_grounded_against_the_type_it_names() -> None:
    """`get certificates x` checks certificates, not a wildcard nobody lists."""
    inventory = OneObjectPerResource()
    step = _step(OPERATION_TYPES_BY_KIND["get_resource"], "ghost", resource_type="certificates")
    check_operation(step, inventory=inventory, allowed_namespaces=["*"])
    assert inventory.asked == ["certificates"]


OPERATION_TYPES_BY_KIND = {t.kind: t for t in OPERATION_TYPES}


def test_the_live_inventory_knows_every_resource_the_catalog_names() -> None:
    """The inventory's object types come from the catalog (with their API group)."""
    wanted = {t.resource.split("/")[0] for t in _named_kubernetes_kinds() if t.resource != "*"}
    types = catalog_types()
    assert wanted <= set(types), f"not listable: {sorted(wanted - set(types))}"
    assert types["cronjobs"].group == "batch" and types["nodes"].group == ""
    assert not types["nodes"].namespaced and types["services"].namespaced


# ---------------------------------------------------------------- the real API server


def _backend(real_k8s: RealCluster) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0}),
        api_client_factory=lambda ctx: real_k8s.api_client("admin"),
    )


@pytest.fixture
def seeded(real_k8s: RealCluster) -> Iterator[tuple[str, str]]:
    """A namespace with one CronJob, Job, Service and ConfigMap, and a Node (no kubelet)."""
    ns = real_k8s.namespace("ground")
    api = real_k8s.admin()
    create_cronjob(real_k8s, ns, "nightly-backup")
    client.BatchV1Api(api).create_namespaced_job(
        ns,
        {
            "metadata": {"name": "db-migrate"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "m", "image": "busybox:1"}],
                    }
                }
            },
        },
    )
    core = client.CoreV1Api(api)
    core.create_namespaced_service(
        ns, {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    )
    core.create_namespaced_config_map(ns, {"metadata": {"name": "app-config"}, "data": {"a": "1"}})
    node = f"ground-node-{uuid.uuid4().hex[:8]}"
    core.create_node({"metadata": {"name": node}})
    yield ns, node
    core.delete_node(node)


_REAL_CASES = [
    ("describe_cronjob", "nightly-backup", "nightly-bakcup"),
    ("trigger_cronjob", "nightly-backup", "nightly-backpu"),
    ("describe_job", "db-migrate", "db-migrat"),
    ("delete_job", "db-migrate", "db-migrate2"),
    ("describe_service", "web", "webb"),
    ("read_configmap_values", "app-config", "app-confg"),
    ("get_configmaps", "app-config", "app-confg"),
]


@pytest.mark.k8s_real
def test_model_plans_are_grounded_on_the_real_api_server(
    real_k8s: RealCluster, seeded: tuple[str, str]
) -> None:
    ns, node = seeded
    inventory = BackendInventory({BackendKind.KUBERNETES: _backend(real_k8s)})
    cases = [(kind, real, typo, {}) for kind, real, typo in _REAL_CASES]
    node_kinds = ("describe_node", "cordon_node", "drain_node")
    cases += [(k, node, node[:-1] + "x", {}) for k in node_kinds]
    cases += [("get_resource", "web", "wbe", {"resource_type": "svc"})]
    for kind, real, typo, extra in cases:
        op_type = OPERATION_TYPES_BY_KIND[kind]
        passes = check_operation(
            _step(op_type, real, ns, **extra), inventory=inventory, allowed_namespaces=["*"]
        )
        assert passes.ok, f"{kind} {real}: {passes.problems}"
        refused = check_operation(
            _step(op_type, typo, ns, **extra), inventory=inventory, allowed_namespaces=["*"]
        )
        assert refused.rejected_names == [typo], kind
        assert f"did you mean '{real}'" in refused.problems[0], refused.problems


@pytest.mark.k8s_real
def test_known_names_lists_each_catalog_type_on_the_real_api_server(
    real_k8s: RealCluster, seeded: tuple[str, str]
) -> None:
    ns, node = seeded
    k8s = _backend(real_k8s)
    assert k8s.known_names("cronjobs", namespace=ns) == ["nightly-backup"]  # batch/v1beta1
    assert k8s.known_names("cronjob", namespace=ns) == ["nightly-backup"]
    assert k8s.known_names("jobs", namespace=ns) == ["db-migrate"]
    assert k8s.known_names("services", namespace=ns) == ["web"]
    assert "app-config" in k8s.known_names("configmaps", namespace=ns)
    assert node in k8s.known_names("nodes")
    assert node in k8s.known_names("nodes", namespace=ns)  # cluster-scoped: namespace ignored
    assert ns in k8s.known_names("namespaces")
    assert k8s.known_names("svc", namespace=ns) == ["web"]  # a short name, by discovery
    assert k8s.known_names("secrets", namespace=ns) == []  # never listed, not even names
    assert k8s.known_names("widgets", namespace=ns) == []
