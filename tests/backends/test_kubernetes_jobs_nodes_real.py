"""Jobs, CronJobs and Nodes against the REAL API server (v1.20: batch/v1beta1 CronJobs,
policy/v1beta1 evictions): the controller-manager's Job controller, the PDB controller's
disruption math and the Eviction API decide, not us."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings
from bot.models import Principal
from tests.backends.test_kubernetes_real import wait_for
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real


def admin_backend(real_k8s: RealCluster, **settings: Any) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0, **settings}),
        api_client_factory=lambda ctx: real_k8s.api_client("admin"),
    )


def op(**fields: Any) -> Any:
    return parse_operation(fields)


def custom(real_k8s: RealCluster) -> Any:
    return client.CustomObjectsApi(real_k8s.admin())


def create_cronjob(real_k8s: RealCluster, ns: str, name: str) -> dict[str, Any]:
    body = {
        "apiVersion": "batch/v1beta1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "schedule": "0 3 1 1 *",
            "jobTemplate": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "backup", "image": "busybox:1"}],
                        }
                    }
                },
            },
        },
    }
    made: dict[str, Any] = custom(real_k8s).create_namespaced_custom_object(
        "batch", "v1beta1", ns, "cronjobs", body
    )
    return made


def read_cronjob(real_k8s: RealCluster, ns: str, name: str) -> dict[str, Any]:
    got: dict[str, Any] = custom(real_k8s).get_namespaced_custom_object(
        "batch", "v1beta1", ns, "cronjobs", name
    )
    return got


def job_exists(real_k8s: RealCluster, ns: str, name: str) -> bool:
    try:
        client.BatchV1Api(real_k8s.admin()).read_namespaced_job(name, ns)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


@pytest.fixture
def node(real_k8s: RealCluster) -> Iterator[str]:
    """An extra Node object (no kubelet behind it), deleted after the test."""
    name = f"test-node-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(real_k8s.admin())
    core.create_node({"metadata": {"name": name, "labels": {"node-role.kubernetes.io/worker": ""}}})
    yield name
    core.delete_node(name)


def test_trigger_cronjob_creates_a_job_like_kubectl_and_undo_deletes_it(
    real_k8s: RealCluster,
) -> None:
    ns = real_k8s.namespace("cj-trigger")
    cronjob = create_cronjob(real_k8s, ns, "nightly-backup")
    k8s = admin_backend(real_k8s)

    listed = k8s.execute(op(operation="list_cronjobs", namespace=ns))
    assert listed.status == Status.SUCCESS, listed.error
    assert listed.data["api_version"] == "batch/v1beta1"
    assert [r["name"] for r in listed.data["cronjobs"]] == ["nightly-backup"]

    trigger = op(operation="trigger_cronjob", namespace=ns, name="nightly-backup")
    preview = k8s.preview(trigger)
    assert preview.dry_run is not None and preview.dry_run.ok, preview.note
    assert "dryRun=All" in preview.dry_run.call
    assert client.BatchV1Api(real_k8s.admin()).list_namespaced_job(ns).items == []

    result = k8s.execute(trigger)
    assert result.status == Status.SUCCESS, result.error
    job_name = result.data["job"]
    job = client.BatchV1Api(real_k8s.admin()).read_namespaced_job(job_name, ns)
    assert job.metadata.annotations["cronjob.kubernetes.io/instantiate"] == "manual"
    owner = job.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.uid) == (
        "CronJob",
        "nightly-backup",
        cronjob["metadata"]["uid"],
    )
    assert job_name.startswith("nightly-backup-manual-")
    # the Job controller acts on it: it creates the job's pod
    wait_for(
        "the job's pod",
        lambda: (
            client.CoreV1Api(real_k8s.admin())
            .list_namespaced_pod(ns, label_selector=f"job-name={job_name}")
            .items
        ),
    )
    described = k8s.execute(op(operation="describe_cronjob", namespace=ns, name="nightly-backup"))
    assert [j["name"] for j in described.data["jobs"]] == [job_name]
    assert described.data["jobs"][0]["manual"] is True

    undo = trigger.inverse(result.before or {})
    assert undo is not None and undo.kind == "delete_job" and undo.name == job_name
    undone = k8s.execute(undo)  # the job is still active: the undo deletes it anyway
    assert undone.status == Status.SUCCESS, undone.error
    wait_for("the job to be gone", lambda: not job_exists(real_k8s, ns, job_name))


def test_suspend_and_resume_are_inverses(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("cj-suspend")
    create_cronjob(real_k8s, ns, "report")
    k8s = admin_backend(real_k8s)
    suspend = op(operation="suspend_cronjob", namespace=ns, name="report")
    preview = k8s.preview(suspend)
    assert preview.current == {"suspend": False} and preview.desired == {"suspend": True}
    assert read_cronjob(real_k8s, ns, "report")["spec"]["suspend"] is False

    done = k8s.execute(suspend)
    assert done.status == Status.SUCCESS, done.error
    assert read_cronjob(real_k8s, ns, "report")["spec"]["suspend"] is True
    listed = k8s.execute(op(operation="list_cronjobs", namespace=ns))
    assert listed.data["cronjobs"][0]["suspend"] is True

    undo = suspend.inverse(done.before or {})
    assert undo is not None and undo.kind == "resume_cronjob"
    assert k8s.execute(undo).ok
    assert read_cronjob(real_k8s, ns, "report")["spec"]["suspend"] is False


def test_delete_job_refuses_an_active_job_and_deletes_a_finished_one(
    real_k8s: RealCluster,
) -> None:
    ns = real_k8s.namespace("job-delete")
    batch = client.BatchV1Api(real_k8s.admin())
    batch.create_namespaced_job(
        ns,
        {
            "metadata": {"name": "once"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox:1"}],
                    }
                }
            },
        },
    )
    k8s = admin_backend(real_k8s)
    delete = op(operation="delete_job", namespace=ns, name="once")
    refused = k8s.execute(delete)
    assert refused.status == Status.ERROR and refused.error_kind == ErrorKind.INVALID
    assert "still active" in (refused.error or "") and "--even-if-active" in (refused.error or "")
    assert job_exists(real_k8s, ns, "once")

    now = "2026-01-01T00:00:00Z"
    batch.patch_namespaced_job_status(
        "once",
        ns,
        {
            "status": {
                "startTime": now,
                "completionTime": now,
                "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": now}],
            }
        },
    )
    listed = k8s.execute(op(operation="list_jobs", namespace=ns))
    assert [(r["name"], r["status"]) for r in listed.data["jobs"]] == [("once", "Complete")]
    preview = k8s.preview(delete)
    assert preview.dry_run is not None and preview.dry_run.ok, preview.note
    assert job_exists(real_k8s, ns, "once")
    deleted = k8s.execute(delete)
    assert deleted.status == Status.SUCCESS, deleted.error
    wait_for("the job to be gone", lambda: not job_exists(real_k8s, ns, "once"))


def test_cordon_and_uncordon_are_inverses(real_k8s: RealCluster, node: str) -> None:
    k8s = admin_backend(real_k8s)
    core = client.CoreV1Api(real_k8s.admin())
    cordon = op(operation="cordon_node", name=node)
    preview = k8s.preview(cordon)
    assert preview.current == {"unschedulable": False}
    assert preview.desired == {"unschedulable": True}
    assert not core.read_node(node).spec.unschedulable

    done = k8s.execute(cordon)
    assert done.status == Status.SUCCESS, done.error
    assert core.read_node(node).spec.unschedulable is True
    listed = k8s.execute(op(operation="list_nodes"))
    row = next(r for r in listed.data["nodes"] if r["name"] == node)
    assert row["status"].endswith("SchedulingDisabled") and row["roles"] == "worker"

    undo = cordon.inverse(done.before or {})
    assert undo is not None and undo.kind == "uncordon_node"
    assert k8s.execute(undo).ok
    assert not core.read_node(node).spec.unschedulable


def _mark_ready(real_k8s: RealCluster, ns: str, pod: str) -> None:
    now = "2026-01-01T00:00:00Z"
    client.CoreV1Api(real_k8s.admin()).patch_namespaced_pod_status(
        pod,
        ns,
        {
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
            }
        },
    )


def test_drain_honours_a_pod_disruption_budget_and_skips_mirror_pods(
    real_k8s: RealCluster, node: str
) -> None:
    ns = real_k8s.namespace("drain")
    apps = client.AppsV1Api(real_k8s.admin())
    core = client.CoreV1Api(real_k8s.admin())
    labels = {"app": "web"}
    apps.create_namespaced_replica_set(
        ns,
        {
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1"}]},
                },
            },
        },
    )
    pods = wait_for(
        "3 pods on the node",
        lambda: (
            items
            if len(items := core.list_namespaced_pod(ns, label_selector="app=web").items) == 3
            else None
        ),
    )
    for pod in pods:
        _mark_ready(real_k8s, ns, pod.metadata.name)
    core.create_namespaced_pod(
        ns,
        {
            "metadata": {"name": "static-web", "annotations": {"kubernetes.io/config.mirror": "x"}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1"}]},
        },
    )
    custom(real_k8s).create_namespaced_custom_object(
        "policy",
        "v1beta1",
        ns,
        "poddisruptionbudgets",
        {
            "apiVersion": "policy/v1beta1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web-pdb"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": labels}},
        },
    )
    wait_for(
        "the PDB to allow one disruption",
        lambda: (
            custom(real_k8s)
            .get_namespaced_custom_object(
                "policy", "v1beta1", ns, "poddisruptionbudgets", "web-pdb"
            )
            .get("status", {})
            .get("disruptionsAllowed")
            == 1
        ),
    )
    k8s = admin_backend(real_k8s)
    drain = op(operation="drain_node", name=node, timeout_seconds=2)
    preview = k8s.preview(drain)
    assert preview.dry_run is not None and preview.dry_run.ok, preview.note
    assert sorted(preview.desired["evict"]) == sorted(f"{ns}/{p.metadata.name}" for p in pods)
    assert preview.desired["skip"] == [f"{ns}/static-web (mirror pod (managed by the kubelet))"]
    assert not core.read_node(node).spec.unschedulable

    result = k8s.execute(drain)
    assert result.status == Status.ERROR and result.error_kind == ErrorKind.CONFLICT
    assert result.data["eviction_api"] == "policy/v1beta1"
    assert len(result.data["evicted"]) == 1
    assert [r["reason"] for r in result.data["not_evicted"]] == [
        "blocked by PodDisruptionBudget web-pdb"
    ] * 2
    assert "blocked by PodDisruptionBudget web-pdb" in (result.error or "")
    assert core.read_node(node).spec.unschedulable is True
    evicted = core.read_namespaced_pod(result.data["evicted"][0].split("/")[1], ns)
    assert evicted.metadata.deletion_timestamp is not None
    assert drain.inverse(result.before or {}) == op(operation="uncordon_node", name=node)


def test_drain_refuses_emptydir_pods_without_the_flag_and_changes_nothing(
    real_k8s: RealCluster, node: str
) -> None:
    ns = real_k8s.namespace("drain-emptydir")
    apps = client.AppsV1Api(real_k8s.admin())
    apps.create_namespaced_replica_set(
        ns,
        {
            "metadata": {"name": "cache"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "cache"}},
                "template": {
                    "metadata": {"labels": {"app": "cache"}},
                    "spec": {
                        "nodeName": node,
                        "volumes": [{"name": "scratch", "emptyDir": {}}],
                        "containers": [{"name": "c", "image": "redis:7"}],
                    },
                },
            },
        },
    )
    core = client.CoreV1Api(real_k8s.admin())
    wait_for("the cache pod", lambda: core.list_namespaced_pod(ns).items)
    k8s = admin_backend(real_k8s)
    refused = k8s.execute(op(operation="drain_node", name=node, timeout_seconds=2))
    assert refused.error_kind == ErrorKind.INVALID
    assert "--delete-emptydir-data" in (refused.error or "")
    assert not core.read_node(node).spec.unschedulable
    done = k8s.execute(
        op(operation="drain_node", name=node, timeout_seconds=2, delete_emptydir_data=True)
    )
    assert done.status == Status.SUCCESS, done.error
    assert len(done.data["evicted"]) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"operation": "trigger_cronjob", "name": "nightly"},
        {"operation": "suspend_cronjob", "name": "nightly"},
        {"operation": "resume_cronjob", "name": "nightly"},
        {"operation": "delete_job", "name": "nightly-1"},
        {"operation": "cordon_node"},
        {"operation": "uncordon_node"},
        {"operation": "drain_node"},
    ],
)
def test_every_new_write_is_forbidden_for_an_impersonated_user_without_rights(
    real_k8s: RealCluster, node: str, fields: dict[str, Any]
) -> None:
    ns = real_k8s.namespace("forbidden")
    create_cronjob(real_k8s, ns, "nightly")
    if fields["operation"].endswith("_node"):
        fields = {**fields, "name": node}
    else:
        fields = {**fields, "namespace": ns}
    k8s = admin_backend(real_k8s, kube_impersonate=True)
    bob = Principal(id="bob", groups=frozenset({"dev"}))
    result = k8s.execute(op(**fields), actor=bob)
    assert result.status == Status.ERROR and result.error_kind == ErrorKind.FORBIDDEN, result
    assert 'Kubernetes user "bob" may not' in (result.error or "")
    assert read_cronjob(real_k8s, ns, "nightly")["spec"]["suspend"] is False
    assert not client.CoreV1Api(real_k8s.admin()).read_node(node).spec.unschedulable
