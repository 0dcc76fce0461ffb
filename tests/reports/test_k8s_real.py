"""Node findings (and a staged CrashLoopBackOff pod) against the real Kubernetes API server:
nodes are created as admin with the conditions a kubelet would report (the test cluster has
no kubelet, and its node lifecycle controller is off, so they stay as written)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.models import Severity
from tests.fixtures.reports import K8S_ONLY, assert_commands_parse, by_kind
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real


def _node(name: str, conditions: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"opsbot.test/report": "1"}},
        "status": {"conditions": conditions},
    }


@pytest.fixture
def nodes(real_k8s: RealCluster) -> Iterator[tuple[str, str]]:
    core = client.CoreV1Api(real_k8s.admin())
    suffix = uuid.uuid4().hex[:6]
    down, squeezed = f"report-down-{suffix}", f"report-squeezed-{suffix}"
    specs = {
        down: [
            {
                "type": "Ready",
                "status": "False",
                "reason": "KubeletNotReady",
                "message": "container runtime is down",
            },
        ],
        squeezed: [
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ok"},
            {
                "type": "MemoryPressure",
                "status": "True",
                "reason": "KubeletHasMemoryPressure",
                "message": "available memory is 90Mi",
            },
            {
                "type": "DiskPressure",
                "status": "False",
                "reason": "KubeletHasNoDiskPressure",
                "message": "ok",
            },
        ],
    }
    for name, conditions in specs.items():
        core.create_node(_node(name, []))
        core.patch_node_status(name, {"status": {"conditions": conditions}})
    try:
        yield down, squeezed
    finally:
        for name in specs:
            with contextlib.suppress(client.ApiException):
                core.delete_node(name)


def test_nodes_not_ready_and_under_pressure(real_k8s: RealCluster, nodes: tuple[str, str]):
    down, squeezed = nodes
    ns = real_k8s.namespace("reports")
    core = client.CoreV1Api(real_k8s.admin())
    core.create_namespaced_pod(
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "api-1"},
            "spec": {"containers": [{"name": "app", "image": "busybox:1"}]},
        },
    )
    core.patch_namespaced_pod_status(
        "api-1",
        ns,
        {
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "app",
                        "image": "busybox:1",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 6,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    }
                ],
            }
        },
    )
    builder = ReportBuilder(
        settings=Settings(docker_disabled=True),
        api_client_factory=lambda ctx: real_k8s.api_client(ctx or "admin"),
    )

    report = builder.build(K8S_ONLY.model_copy(update={"namespaces": [ns]}))

    assert report.notes == []
    not_ready = by_kind(report, "node_not_ready")
    assert list(not_ready) == [f"node/{down}"]
    assert not_ready[f"node/{down}"].severity == Severity.CRITICAL
    assert "container runtime is down" in not_ready[f"node/{down}"].detail
    assert not_ready[f"node/{down}"].commands == [
        f"describe node/{down}",
        f"cordon node/{down}",
        f"drain node/{down}",
    ]
    pressure = by_kind(report, "node_pressure")
    assert list(pressure) == [f"node/{squeezed}:MemoryPressure"]
    assert "available memory is 90Mi" in pressure[f"node/{squeezed}:MemoryPressure"].detail
    assert pressure[f"node/{squeezed}:MemoryPressure"].commands == [
        f"describe node/{squeezed}",
        f"cordon node/{squeezed}",
    ]
    assert report.counters["nodes"] >= 3  # the cluster's own fake-node-1 is Ready
    crash = by_kind(report, "pod_crashloop")
    assert list(crash) == ["pod/api-1"]
    assert crash["pod/api-1"].commands[0] == f"logs pod/api-1 -n {ns} -p"
    assert_commands_parse(report)
