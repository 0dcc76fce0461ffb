"""StatefulSets, DaemonSets, rollout status/history and HPAs against the REAL API server: the
controller-manager writes the ControllerRevisions that rollback and undo use, discovery picks
autoscaling/v2beta2 (v1.20), and the bot's own identity gets 403 for every new write."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings
from tests.backends.test_kubernetes_real import backend, create_deployment, wait_for
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real

CAUSE = "kubernetes.io/change-cause"


def _template(app: str, image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": app, "image": image}]},
    }


def create_statefulset(real_k8s: RealCluster, ns: str, name: str, image: str) -> None:
    client.AppsV1Api(real_k8s.admin()).create_namespaced_stateful_set(
        ns,
        {
            "metadata": {"name": name, "annotations": {CAUSE: f"create {image}"}},
            "spec": {
                "serviceName": name,
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": _template(name, image),
            },
        },
    )


def create_daemonset(real_k8s: RealCluster, ns: str, name: str, image: str) -> None:
    client.AppsV1Api(real_k8s.admin()).create_namespaced_daemon_set(
        ns,
        {
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": _template(name, image),
            },
        },
    )


def set_image(real_k8s: RealCluster, ns: str, kind: str, name: str, image: str) -> None:
    apps = client.AppsV1Api(real_k8s.admin())
    patch = getattr(apps, f"patch_namespaced_{kind}")
    body = {
        "metadata": {"annotations": {CAUSE: f"set image {image}"}},
        "spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}},
    }
    patch(name, ns, body)


def revisions(real_k8s: RealCluster, ns: str) -> dict[int, str]:
    items = client.AppsV1Api(real_k8s.admin()).list_namespaced_controller_revision(ns).items
    return {
        int(r.revision): r.data["spec"]["template"]["spec"]["containers"][0]["image"] for r in items
    }


def image_of(real_k8s: RealCluster, ns: str, kind: str, name: str) -> str:
    obj = getattr(client.AppsV1Api(real_k8s.admin()), f"read_namespaced_{kind}")(name, ns)
    return str(obj.spec.template.spec.containers[0].image)


def as_admin(real_k8s: RealCluster) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0}),
        api_client_factory=lambda ctx: real_k8s.api_client(ctx or "admin"),
    )


def run(k8s: Any, **step: Any) -> Any:
    result = k8s.execute(parse_operation(step))
    assert result.status != Status.ERROR, (step, result.error)
    return result


@pytest.mark.parametrize("kind", ["stateful_set", "daemon_set"])
def test_rollback_and_its_undo_through_controller_revisions(
    real_k8s: RealCluster, kind: str
) -> None:
    word = kind.replace("_", "")
    ns = real_k8s.namespace(f"{word[:6]}-undo")
    create = create_statefulset if kind == "stateful_set" else create_daemonset
    create(real_k8s, ns, "app", "img:1")
    wait_for("revision 1", lambda: revisions(real_k8s, ns) == {1: "img:1"})
    set_image(real_k8s, ns, kind, "app", "img:2")
    wait_for("revision 2", lambda: revisions(real_k8s, ns) == {1: "img:1", 2: "img:2"})
    k8s = as_admin(real_k8s)

    step = {"operation": f"rollback_{word}", "namespace": ns, "name": "app"}
    preview = k8s.preview(parse_operation(step))
    assert preview.dry_run is not None and preview.dry_run.ok, preview.note
    assert preview.current["revision"] == 2 and preview.desired["revision"] == 1
    assert image_of(real_k8s, ns, kind, "app") == "img:2"  # the dry run changed nothing

    done = run(k8s, **step)
    assert image_of(real_k8s, ns, kind, "app") == "img:1"
    # the controller renumbers the revision returned to: 1 becomes 3, 2 keeps its number
    wait_for("renumbered", lambda: revisions(real_k8s, ns) == {2: "img:2", 3: "img:1"})

    undo = parse_operation(step).inverse(done.before or {})
    assert undo is not None and undo.model_dump()["to_revision"] == 2
    # run at once: the bounded wait for observedGeneration keeps it from reading stale history
    k8s.execute(undo)
    assert image_of(real_k8s, ns, kind, "app") == "img:2"


def test_restart_statefulset_then_undo_returns_to_the_revision_it_left(
    real_k8s: RealCluster,
) -> None:
    ns = real_k8s.namespace("sts-restart")
    create_statefulset(real_k8s, ns, "redis", "redis:6")
    wait_for("revision 1", lambda: revisions(real_k8s, ns) == {1: "redis:6"})
    k8s = as_admin(real_k8s)
    step = {"operation": "restart_statefulset", "namespace": ns, "name": "redis"}
    preview = k8s.preview(parse_operation(step))
    assert preview.dry_run is not None and preview.dry_run.ok
    assert (preview.current["revision"], preview.desired["revision"]) == (1, 2)
    done = run(k8s, **step)
    apps = client.AppsV1Api(real_k8s.admin())
    notes = apps.read_namespaced_stateful_set("redis", ns).spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" in (notes or {})
    undo = parse_operation(step).inverse(done.before or {})
    assert undo is not None and undo.kind == "rollback_statefulset"
    run(k8s, **undo.model_dump())
    notes = apps.read_namespaced_stateful_set("redis", ns).spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" not in (notes or {})


def test_history_status_list_and_describe(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("sts-reads")
    create_statefulset(real_k8s, ns, "redis", "redis:6")
    wait_for("revision 1", lambda: revisions(real_k8s, ns) == {1: "redis:6"})
    set_image(real_k8s, ns, "stateful_set", "redis", "redis:7")
    wait_for("revision 2", lambda: len(revisions(real_k8s, ns)) == 2)
    k8s = as_admin(real_k8s)
    history = run(k8s, operation="rollout_history_statefulset", namespace=ns, name="redis")
    rows = [(r["revision"], r["change_cause"], r["images"]) for r in history.data["revisions"]]
    assert rows == [(1, "create redis:6", ["redis:6"]), (2, "set image redis:7", ["redis:7"])]
    status = run(k8s, operation="rollout_status_statefulset", namespace=ns, name="redis")
    # no kubelet: the pod never becomes ready, so the rollout is reported as waiting
    assert status.data["done"] is False and status.data["desired"] == 1
    assert status.data["observed_generation"] == status.data["generation"] == 2
    listed = run(k8s, operation="list_statefulsets", namespace=ns)
    assert [r["name"] for r in listed.data["statefulsets"]] == ["redis"]
    described = run(k8s, operation="describe_statefulset", namespace=ns, name="redis")
    assert [h["revision"] for h in described.data["history"]] == [2, 1]
    assert k8s.known_names("statefulsets", namespace=ns) == ["redis"]


def test_daemonset_status_and_deployment_history(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("ds-reads")
    create_daemonset(real_k8s, ns, "fluentd", "fluentd:1")
    create_deployment(real_k8s, ns, "web", image="nginx:1.24", replicas=1)
    k8s = as_admin(real_k8s)
    wait_for(
        "the daemonset controller",
        lambda: (
            run(k8s, operation="rollout_status_daemonset", namespace=ns, name="fluentd").data[
                "desired"
            ]
            == 1
        ),
    )
    listed = run(k8s, operation="list_daemonsets", namespace=ns)
    assert listed.data["daemonsets"][0]["desired"] == 1  # the cluster's one node
    history = run(k8s, operation="rollout_history_deployment", namespace=ns, name="web")
    assert [(r["revision"], r["images"]) for r in history.data["revisions"]] == [
        (1, ["nginx:1.24"])
    ]
    status = run(k8s, operation="rollout_status_deployment", namespace=ns, name="web")
    assert status.data["updated"] == 1 and status.data["done"] is False
    assert "available" in status.text


def _hpa(real_k8s: RealCluster, ns: str, kind: str, target: str) -> None:
    client.AutoscalingV1Api(real_k8s.admin()).create_namespaced_horizontal_pod_autoscaler(
        ns,
        {
            "metadata": {"name": f"{target}-hpa"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                "minReplicas": 2,
                "maxReplicas": 10,
                "targetCPUUtilizationPercentage": 80,
            },
        },
    )


def test_hpa_list_describe_set_and_undo_by_discovery(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("hpa")
    create_deployment(real_k8s, ns, "web", replicas=1)
    _hpa(real_k8s, ns, "Deployment", "web")
    k8s = as_admin(real_k8s)
    listed = run(k8s, operation="list_hpas", namespace=ns)
    assert "/apis/autoscaling/v2beta2/" in listed.call  # v1.20: the newest version served
    [row] = listed.data["hpas"]
    assert (row["reference"], row["min_replicas"], row["max_replicas"]) == ("Deployment/web", 2, 10)
    assert row["metrics"] == [{"name": "cpu", "current": "<unknown>", "target": "80%"}]
    described = run(k8s, operation="describe_hpa", namespace=ns, name="web-hpa")
    assert "min 2, max 10" in described.text

    step = {"operation": "set_hpa_replicas", "namespace": ns, "name": "web-hpa", "max_replicas": 4}
    preview = k8s.preview(parse_operation(step))
    assert preview.dry_run is not None and preview.dry_run.ok, preview.note
    assert preview.desired == {"min_replicas": 2, "max_replicas": 4}
    done = run(k8s, **step)
    assert done.after == {"min_replicas": 2, "max_replicas": 4}
    undo = parse_operation(step).inverse(done.before or {})
    assert undo is not None
    run(k8s, **undo.model_dump())
    read = client.AutoscalingV1Api(real_k8s.admin()).read_namespaced_horizontal_pod_autoscaler
    assert read("web-hpa", ns).spec.max_replicas == 10

    bad = k8s.preview(parse_operation({**step, "min_replicas": 12, "max_replicas": None}))
    assert bad.dry_run is not None and bad.dry_run.error_kind == ErrorKind.INVALID
    assert bad.note is not None and "above the maximum" in bad.note


def test_scale_previews_name_the_hpa_that_controls_the_workload(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("hpa-note")
    create_deployment(real_k8s, ns, "web", replicas=1)
    create_deployment(real_k8s, ns, "free", replicas=1)
    create_statefulset(real_k8s, ns, "redis", "redis:6")
    _hpa(real_k8s, ns, "Deployment", "web")
    _hpa(real_k8s, ns, "StatefulSet", "redis")
    k8s = as_admin(real_k8s)
    web = k8s.preview(
        parse_operation(
            {"operation": "scale_deployment", "namespace": ns, "name": "web", "replicas": 3}
        )
    )
    assert web.note == (
        "HPA web-hpa controls this workload (min 2, max 10): it will override a manual scale"
    )
    redis = k8s.preview(
        parse_operation(
            {"operation": "scale_statefulset", "namespace": ns, "name": "redis", "replicas": 3}
        )
    )
    assert redis.note is not None and "HPA redis-hpa controls this workload" in redis.note
    assert redis.dry_run is not None and redis.dry_run.ok
    free = k8s.preview(
        parse_operation(
            {"operation": "scale_deployment", "namespace": ns, "name": "free", "replicas": 3}
        )
    )
    assert free.note is None


WRITES = [
    {"operation": "scale_statefulset", "name": "redis", "replicas": 2},
    {"operation": "restart_statefulset", "name": "redis"},
    {"operation": "rollback_statefulset", "name": "redis", "to_revision": 1},
    {"operation": "restart_daemonset", "name": "fluentd"},
    {"operation": "rollback_daemonset", "name": "fluentd", "to_revision": 1},
    {"operation": "set_hpa_replicas", "name": "redis-hpa", "max_replicas": 3},
]


def test_every_new_write_is_forbidden_without_rbac(real_k8s: RealCluster) -> None:
    """The `opsbot` user has no rights here: each write (and its preview) is a clear 403."""
    ns = real_k8s.namespace("w403")
    create_statefulset(real_k8s, ns, "redis", "redis:6")
    create_daemonset(real_k8s, ns, "fluentd", "fluentd:1")
    _hpa(real_k8s, ns, "StatefulSet", "redis")
    k8s = backend(real_k8s)  # the opsbot context: no rights
    for step in WRITES:
        op = parse_operation({**step, "namespace": ns})
        result = k8s.execute(op)
        assert result.error_kind == ErrorKind.FORBIDDEN, (step, result.error)
        assert "forbidden" in (result.error or "").lower()
        preview = k8s.preview(op)
        assert preview.dry_run is not None and preview.dry_run.error_kind == ErrorKind.FORBIDDEN
    assert image_of(real_k8s, ns, "stateful_set", "redis") == "redis:6"
