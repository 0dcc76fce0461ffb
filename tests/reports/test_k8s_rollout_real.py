"""During a surge rollout a Deployment can have more unavailable replicas than it desires (old
and new ReplicaSets together): the report says so plainly instead of "4 of 3 unavailable".
Staged on the real API server: its controller-manager runs the rollout (no kubelet, so no pod
ever becomes available)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from tests.fixtures.reports import K8S_ONLY, by_kind
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real


def _deployment(replicas: int) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "busybox:1"}]},
            },
        },
    }


def _wait_for_status(apps: client.AppsV1Api, ns: str, want: dict[str, int]) -> None:
    deadline = time.monotonic() + 60
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = apps.read_namespaced_deployment_status("web", ns).status.to_dict()
        if all(status.get(k) == v for k, v in want.items()):
            return
        time.sleep(0.2)
    raise AssertionError(f"the controller never reported {want}; last status {status}")


def test_more_unavailable_than_desired_during_a_rollout_is_phrased_as_such(
    real_k8s: RealCluster,
) -> None:
    ns = real_k8s.namespace("rollout")
    apps = client.AppsV1Api(real_k8s.admin())
    apps.create_namespaced_deployment(ns, _deployment(3))
    _wait_for_status(apps, ns, {"replicas": 3, "unavailable_replicas": 3})
    apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}}
    )
    _wait_for_status(apps, ns, {"replicas": 4, "unavailable_replicas": 4})
    builder = ReportBuilder(
        settings=Settings(docker_disabled=True),
        api_client_factory=lambda ctx: real_k8s.api_client(ctx or "admin"),
    )

    report = builder.build(K8S_ONLY.model_copy(update={"namespaces": [ns]}))

    finding = by_kind(report, "deployment_unavailable")["deploy/web"]
    assert finding.title == "Deployment web: 3 desired, 4 unavailable (rollout in progress)"
    assert "of 3" not in finding.title + finding.detail
