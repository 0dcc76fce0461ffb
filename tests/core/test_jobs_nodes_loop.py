"""Jobs, CronJobs and Nodes through the whole service against the REAL API server, from the
console text issue 12 quotes: command -> policy -> preview with dry run -> approval ->
execution -> undo (approved again); and the day-2 reads answer straight away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from bot.models import Request
from bot.replies import ReplyKind
from bot.service import OpsService
from tests.backends.test_kubernetes_jobs_nodes_real import create_cronjob, job_exists, read_cronjob
from tests.backends.test_kubernetes_real import create_deployment, wait_for
from tests.core.conftest import BOB
from tests.core.test_workloads_loop import approve, service, undo

pytestmark = pytest.mark.k8s_real
__all__ = ["service"]  # the fixture, shared with the workloads loop


@pytest.fixture
def node(real_k8s: Any) -> Iterator[str]:
    """A Node object (no kubelet behind it), deleted after the test."""
    name = f"loop-node-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(real_k8s.admin())
    core.create_node({"metadata": {"name": name}})
    yield name
    core.delete_node(name)


def _unschedulable(real_k8s: Any, name: str) -> bool:
    return bool(client.CoreV1Api(real_k8s.admin()).read_node(name).spec.unschedulable)


def test_trigger_cronjob_now_and_undo_deletes_the_job(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-cj")
    create_cronjob(real_k8s, ns, "nightly-backup")
    batch = client.BatchV1Api(real_k8s.admin())

    reply, _ = approve(service, f"trigger cronjob/nightly-backup now -n {ns}")
    assert reply.previews[0].dry_run_ok
    jobs = [j.metadata.name for j in batch.list_namespaced_job(ns).items]
    assert len(jobs) == 1 and jobs[0].startswith("nightly-backup-"), jobs
    undo(service, reply.approval_id)
    assert not job_exists(real_k8s, ns, jobs[0])


def test_suspend_and_resume_cronjob_with_undo(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-cjs")
    create_cronjob(real_k8s, ns, "nightly-backup")

    reply, _ = approve(service, f"suspend cronjob/nightly-backup -n {ns}")
    assert read_cronjob(real_k8s, ns, "nightly-backup")["spec"]["suspend"] is True
    undo(service, reply.approval_id)
    assert read_cronjob(real_k8s, ns, "nightly-backup")["spec"]["suspend"] is False

    approve(service, f"suspend cronjob/nightly-backup -n {ns}")
    reply, _ = approve(service, f"resume cronjob/nightly-backup -n {ns}")
    assert read_cronjob(real_k8s, ns, "nightly-backup")["spec"]["suspend"] is False
    undo(service, reply.approval_id)
    assert read_cronjob(real_k8s, ns, "nightly-backup")["spec"]["suspend"] is True


def test_cordon_and_uncordon_with_undo(service: OpsService, real_k8s: Any, node: str) -> None:
    reply, _ = approve(service, f"cordon {node}")
    assert _unschedulable(real_k8s, node)
    undo(service, reply.approval_id)
    assert not _unschedulable(real_k8s, node)

    approve(service, f"cordon node {node}")
    reply, _ = approve(service, f"uncordon {node}")
    assert not _unschedulable(real_k8s, node)
    undo(service, reply.approval_id)
    assert _unschedulable(real_k8s, node)


def test_drain_needs_approval_and_undo_uncordons(
    service: OpsService, real_k8s: Any, node: str
) -> None:
    reply, _ = approve(service, f"drain {node}")
    assert _unschedulable(real_k8s, node)
    undo(service, reply.approval_id)
    assert not _unschedulable(real_k8s, node)


def test_delete_a_finished_job(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-job")
    batch = client.BatchV1Api(real_k8s.admin())
    pod = {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1"}]}
    # parallelism 0: the Job controller starts no pod, so the status written below stays
    batch.create_namespaced_job(
        ns,
        {
            "metadata": {"name": "db-migrate"},
            "spec": {"parallelism": 0, "template": {"spec": pod}},
        },
    )
    now = "2026-01-01T00:00:00Z"
    complete = {"type": "Complete", "status": "True", "lastTransitionTime": now}
    batch.patch_namespaced_job_status(
        "db-migrate",
        ns,
        {
            "status": {
                "startTime": now,
                "completionTime": now,
                "succeeded": 1,
                "conditions": [complete],
            }
        },
    )
    approve(service, f"delete job/db-migrate -n {ns}")
    wait_for("the job to be gone", lambda: not job_exists(real_k8s, ns, "db-migrate"))


def test_day2_reads_answer_at_once(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-reads")
    core = client.CoreV1Api(real_k8s.admin())
    core.create_namespaced_service(
        ns, {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    )
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "app-config"}, "data": {"LOG_LEVEL": "debug"}}
    )
    create_deployment(real_k8s, ns, "web", replicas=1)

    def ask(text: str) -> str:
        reply = service.handle_request(Request(principal=BOB, text=text))
        assert reply.kind == ReplyKind.RESULT, f"{text}: {reply.text}"
        return reply.text

    assert "web" in ask(f"get svc -n {ns}")
    assert f"No horizontal pod autoscalers in namespace {ns}" in ask(f"get hpa -n {ns}")
    assert 'deployment "web"' in ask(f"rollout status deploy/web -n {ns}")
    config = ask(f"get configmap app-config -n {ns}")
    assert "LOG_LEVEL" in config and "debug" not in config  # keys and sizes, no values
