"""CronJobs in batch/v1 and evictions/PDBs in policy/v1 (Kubernetes 1.21+; 1.25+ serves only
these), against the Kubernetes test server: discovery picks the version, the REST paths and
bodies are the v1 ones, and a PodDisruptionBudget's 429 leaves the pod in place. The v1beta1
paths (v1.20) are tested on the real API server in test_kubernetes_jobs_nodes_real.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.backends.base import ErrorKind, Status
from bot.catalog import parse_operation
from tests.fakes.k8s_batch_policy import FakeK8sWithBatchPolicy
from tests.fixtures.k8s_fake import backend_on


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeK8sWithBatchPolicy]:
    server = FakeK8sWithBatchPolicy().start()
    server.write_kubeconfig(tmp_path / "kubeconfig.yaml")
    try:
        yield server
    finally:
        server.stop()


def op(**fields: Any) -> Any:
    return parse_operation(fields)


# ---------------------------------------------------------------- CronJobs, batch/v1
def test_list_and_describe_read_batch_v1_found_by_discovery(fake: FakeK8sWithBatchPolicy) -> None:
    fake.cronjob_versions = ["v1", "v1beta1"]  # 1.21 to 1.24 serve both: v1 wins
    fake.add_cronjob("prod", "backup", schedule="0 3 * * *")
    k8s = backend_on(fake, context="admin")
    listed = k8s.execute(op(operation="list_cronjobs", namespace="prod"))
    assert listed.status == Status.SUCCESS, listed.error
    assert listed.data["api_version"] == "batch/v1"
    assert listed.call == (
        "GET /apis/batch/v1; GET /apis/batch/v1/namespaces/prod/cronjobs?limit=500"
    )
    assert [(r["name"], r["schedule"]) for r in listed.data["cronjobs"]] == [
        ("backup", "0 3 * * *")
    ]
    described = k8s.execute(op(operation="describe_cronjob", namespace="prod", name="backup"))
    assert described.status == Status.SUCCESS, described.error
    assert described.data["api_version"] == "batch/v1"
    assert "GET /apis/batch/v1/namespaces/prod/cronjobs/backup" in described.call
    assert described.text.startswith("CronJob prod/backup: schedule '0 3 * * *'")


def test_a_cluster_with_only_v1beta1_cronjobs_is_read_there(fake: FakeK8sWithBatchPolicy) -> None:
    fake.cronjob_versions = ["v1beta1"]
    fake.add_cronjob("prod", "backup")
    listed = backend_on(fake, context="admin").execute(
        op(operation="list_cronjobs", namespace="prod")
    )
    assert listed.data["api_version"] == "batch/v1beta1"
    assert listed.call.endswith("GET /apis/batch/v1beta1/namespaces/prod/cronjobs?limit=500")


def test_a_cluster_without_cronjobs_is_a_clear_error(fake: FakeK8sWithBatchPolicy) -> None:
    fake.cronjob_versions = []
    listed = backend_on(fake, context="admin").execute(
        op(operation="list_cronjobs", namespace="prod")
    )
    assert listed.error_kind == ErrorKind.NOT_FOUND
    assert listed.error == "this cluster serves cronjobs in none of batch/v1, batch/v1beta1"


def test_trigger_posts_a_batch_v1_job_owned_by_the_v1_cronjob(
    fake: FakeK8sWithBatchPolicy,
) -> None:
    cronjob = fake.add_cronjob("prod", "backup")
    k8s = backend_on(fake, context="admin")
    trigger = op(operation="trigger_cronjob", namespace="prod", name="backup")
    preview = k8s.preview(trigger)
    assert preview.dry_run is not None and preview.dry_run.ok
    assert fake.calls("POST")[-1].query == {"dryRun": "All"}
    assert fake.store.items("jobs", "prod") == []
    done = k8s.execute(trigger)
    assert done.status == Status.SUCCESS, done.error
    post = fake.calls("POST")[-1]
    assert post.path == "/apis/batch/v1/namespaces/prod/jobs" and post.query == {}
    [job] = fake.store.items("jobs", "prod")
    assert job["metadata"]["name"] == done.data["job"]
    assert job["metadata"]["name"].startswith("backup-manual-")
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "backup",
            "uid": cronjob["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert job["spec"] == cronjob["spec"]["jobTemplate"]["spec"]
    described = k8s.execute(op(operation="describe_cronjob", namespace="prod", name="backup"))
    assert [j["name"] for j in described.data["jobs"]] == [done.data["job"]]
    undo = trigger.inverse(done.before or {})
    assert undo is not None and undo.kind == "delete_job"
    assert k8s.execute(undo).status == Status.SUCCESS
    assert fake.store.items("jobs", "prod") == []


def test_suspend_and_resume_patch_the_v1_cronjob(fake: FakeK8sWithBatchPolicy) -> None:
    fake.add_cronjob("prod", "backup")
    k8s = backend_on(fake, context="admin")
    suspend = op(operation="suspend_cronjob", namespace="prod", name="backup")
    preview = k8s.preview(suspend)
    assert (preview.current, preview.desired) == ({"suspend": False}, {"suspend": True})
    assert fake.store.get("cronjobs", "prod", "backup")["spec"]["suspend"] is False
    done = k8s.execute(suspend)
    assert done.text == "Suspended cronjob prod/backup."
    patch = fake.calls("PATCH")[-1]
    assert patch.path == "/apis/batch/v1/namespaces/prod/cronjobs/backup"
    assert patch.headers["content-type"] == ["application/merge-patch+json"]
    assert patch.body == {"spec": {"suspend": True}}
    assert fake.store.get("cronjobs", "prod", "backup")["spec"]["suspend"] is True
    resume = suspend.inverse(done.before or {})
    assert resume is not None and resume.kind == "resume_cronjob"
    assert k8s.execute(resume).after == {"suspend": False}
    assert fake.store.get("cronjobs", "prod", "backup")["spec"]["suspend"] is False


def test_trigger_without_create_on_jobs_is_forbidden(fake: FakeK8sWithBatchPolicy) -> None:
    fake.add_cronjob("prod", "backup")
    fake.grant(user="opsbot", verbs=["get", "list"], resources=["cronjobs", "jobs"])
    result = backend_on(fake).execute(
        op(operation="trigger_cronjob", namespace="prod", name="backup")
    )
    assert result.error_kind == ErrorKind.FORBIDDEN
    assert result.error == (
        'forbidden: Kubernetes user "opsbot" may not create jobs.batch in the namespace "prod" '
        "(cluster RBAC)"
    )
    assert fake.store.items("jobs", "prod") == []


# ---------------------------------------------------------------- drain, policy/v1
def _web_pods(fake: FakeK8sWithBatchPolicy, n: int) -> list[str]:
    names = [f"web-{i}" for i in range(n)]
    for name in names:
        fake.add_pod("prod", name, labels={"app": "web"}, owner=("ReplicaSet", "web"))
    return names


def test_drain_evicts_through_policy_v1_and_a_budget_blocks_one(
    fake: FakeK8sWithBatchPolicy,
) -> None:
    fake.add_node("node-1")
    _web_pods(fake, 2)
    fake.add_pdb("prod", "web-pdb", labels={"app": "web"}, disruptions_allowed=1)
    k8s = backend_on(fake, context="admin")
    drain = op(operation="drain_node", name="node-1", timeout_seconds=1)
    preview = k8s.preview(drain)
    assert preview.desired["evict"] == ["prod/web-0", "prod/web-1"]
    assert fake.calls("POST") == []  # a preview evicts nothing
    assert fake.store.get("nodes", "", "node-1")["spec"]["unschedulable"] is False

    result = k8s.execute(drain)
    assert result.status == Status.ERROR and result.error_kind == ErrorKind.CONFLICT
    assert result.data["eviction_api"] == "policy/v1"
    evictions = fake.calls("POST", "/eviction")
    assert [(e.path, e.status) for e in evictions] == [
        ("/api/v1/namespaces/prod/pods/web-0/eviction", 201),
        ("/api/v1/namespaces/prod/pods/web-1/eviction", 429),
    ]
    assert evictions[0].body["apiVersion"] == "policy/v1"
    assert result.data["evicted"] == ["prod/web-0"]
    assert result.data["not_evicted"] == [
        {"pod": "prod/web-1", "reason": "blocked by PodDisruptionBudget web-pdb"}
    ]
    assert fake.calls("GET", "/apis/policy/v1/namespaces/prod/poddisruptionbudgets")
    assert [p["metadata"]["name"] for p in fake.store.items("pods", "prod")] == ["web-1"]
    assert fake.store.get("nodes", "", "node-1")["spec"]["unschedulable"] is True
    assert (
        result.hint == "the node stays cordoned; retry the drain later, or `uncordon node/node-1`"
    )
    assert drain.inverse(result.before or {}) == op(operation="uncordon_node", name="node-1")


def test_drain_on_a_cluster_without_policy_v1beta1_sends_v1_evictions(
    fake: FakeK8sWithBatchPolicy,
) -> None:
    """1.25 removed policy/v1beta1: an Eviction body in v1beta1 would be refused (400)."""
    fake.add_node("node-1")
    _web_pods(fake, 2)
    done = backend_on(fake, context="admin").execute(
        op(operation="drain_node", name="node-1", timeout_seconds=1)
    )
    assert done.status == Status.SUCCESS, done.error
    assert done.data["evicted"] == ["prod/web-0", "prod/web-1"]
    assert {e.body["apiVersion"] for e in fake.calls("POST", "/eviction")} == {"policy/v1"}
    assert fake.store.items("pods", "prod") == []


def test_drain_on_an_older_cluster_sends_v1beta1_evictions(fake: FakeK8sWithBatchPolicy) -> None:
    fake.policy_versions = ["v1beta1"]
    fake.add_node("node-1")
    _web_pods(fake, 1)
    done = backend_on(fake, context="admin").execute(
        op(operation="drain_node", name="node-1", timeout_seconds=1)
    )
    assert done.status == Status.SUCCESS, done.error
    assert done.data["eviction_api"] == "policy/v1beta1"
    assert [e.body["apiVersion"] for e in fake.calls("POST", "/eviction")] == ["policy/v1beta1"]


def test_drain_without_the_eviction_right_evicts_nothing_and_says_so(
    fake: FakeK8sWithBatchPolicy,
) -> None:
    fake.add_node("node-1")
    _web_pods(fake, 1)
    fake.grant(user="opsbot", verbs=["get", "list", "patch"], resources=["nodes", "pods"])
    result = backend_on(fake).execute(op(operation="drain_node", name="node-1", timeout_seconds=1))
    assert result.status == Status.ERROR
    [reason] = [r["reason"] for r in result.data["not_evicted"]]
    assert reason == (
        'forbidden: Kubernetes user "opsbot" may not create pods/eviction in the namespace '
        '"prod" (cluster RBAC)'
    )
    assert [p["metadata"]["name"] for p in fake.store.items("pods", "prod")] == ["web-0"]


def test_nodes_are_read_page_by_page(fake: FakeK8sWithBatchPolicy) -> None:
    for i in range(501):
        fake.add_node(f"node-{i:03d}")
    listed = backend_on(fake, context="admin").execute(op(operation="list_nodes"))
    assert listed.data["count"] == 501
    pages = fake.calls("GET", "/api/v1/nodes")
    assert [p.query.get("continue") is not None for p in pages] == [False, True]


@pytest.mark.parametrize("versions", [["v1"], ["v1beta1"]])
def test_grounding_finds_cronjob_names_in_the_served_version(
    fake: FakeK8sWithBatchPolicy, versions: list[str]
) -> None:
    fake.cronjob_versions = versions
    fake.add_cronjob("prod", "backup")
    k8s = backend_on(fake, context="admin")
    assert k8s.known_names("cronjobs", namespace="prod") == ["backup"]
    assert fake.calls("GET", f"/apis/batch/{versions[0]}/namespaces/prod/cronjobs")
