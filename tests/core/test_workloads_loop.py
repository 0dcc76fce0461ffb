"""The workload and autoscaler writes through the whole service against the REAL API server:
command text -> policy -> preview with dry run -> approval -> execution -> undo (approved
again); and the reads answer straight away."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from bot.approvals.memory_store import MemoryApprovalStore
from bot.models import MessageRef, Principal, Request
from bot.replies import PlanExecuted, ReplyKind
from bot.service import OpsService
from tests.backends.test_kubernetes_real import create_deployment, wait_for
from tests.backends.test_kubernetes_workloads_real import (
    create_daemonset,
    create_statefulset,
    image_of,
    revisions,
    set_image,
)
from tests.core.conftest import ALICE, BOB, CAROL, ServiceFactory

pytestmark = pytest.mark.k8s_real


def _ref(approval_id: str) -> MessageRef:
    return MessageRef(platform="test", channel="C1", ts=approval_id)


@pytest.fixture
def service(make_service: ServiceFactory, real_k8s: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    return make_service(store=MemoryApprovalStore(), kube_disabled=False, kube_context="admin")


def approve(service: OpsService, text: str, *, by: Principal = CAROL) -> Any:
    """Ask as alice, check the preview's dry run, approve; the execution."""
    reply = service.handle_request(Request(principal=ALICE, text=text))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL and reply.approval_id, reply.text
    assert all(p.dry_run_ok for p in reply.previews), reply.text
    service.attach_message(reply.approval_id, _ref(reply.approval_id))
    done = service.vote(message=_ref(reply.approval_id), voter=by, approve=True)
    assert isinstance(done, PlanExecuted) and done.execution.ok, done.text
    return reply, done


def undo(service: OpsService, approval_id: str) -> None:
    back = service.request_undo(message=_ref(approval_id), requester=CAROL)
    assert back.kind == ReplyKind.NEEDS_APPROVAL and back.approval_id, back.text
    service.attach_message(back.approval_id, _ref(back.approval_id))
    done = service.vote(message=_ref(back.approval_id), voter=ALICE, approve=True)
    assert isinstance(done, PlanExecuted) and done.execution.ok, done.text


def test_statefulset_scale_restart_and_rollback_with_undo(
    service: OpsService, real_k8s: Any
) -> None:
    ns = real_k8s.namespace("loop-sts")
    create_statefulset(real_k8s, ns, "redis", "redis:6")
    wait_for("revision 1", lambda: revisions(real_k8s, ns) == {1: "redis:6"})
    apps = client.AppsV1Api(real_k8s.admin())

    reply, _ = approve(service, f"scale sts/redis --replicas 3 -n {ns}")
    assert (reply.previews[0].current, reply.previews[0].desired) == (
        {"replicas": 1},
        {"replicas": 3},
    )
    assert apps.read_namespaced_stateful_set("redis", ns).spec.replicas == 3
    undo(service, reply.approval_id)
    assert apps.read_namespaced_stateful_set("redis", ns).spec.replicas == 1

    reply, _ = approve(service, f"restart the redis statefulset in {ns}")
    wait_for("revision 2", lambda: len(revisions(real_k8s, ns)) == 2)
    undo(service, reply.approval_id)  # rollout undo to revision 1
    notes = apps.read_namespaced_stateful_set("redis", ns).spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" not in (notes or {})

    set_image(real_k8s, ns, "stateful_set", "redis", "redis:7")
    wait_for("redis:7 recorded", lambda: "redis:7" in revisions(real_k8s, ns).values())
    reply, _ = approve(service, f"rollout undo sts/redis -n {ns}")
    assert image_of(real_k8s, ns, "stateful_set", "redis") == "redis:6"
    undo(service, reply.approval_id)
    assert image_of(real_k8s, ns, "stateful_set", "redis") == "redis:7"


def test_daemonset_restart_and_rollback_with_undo(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-ds")
    create_daemonset(real_k8s, ns, "fluentd", "fluentd:1")
    wait_for("revision 1", lambda: revisions(real_k8s, ns) == {1: "fluentd:1"})
    reply, _ = approve(service, f"rollout restart ds/fluentd -n {ns}")
    wait_for("revision 2", lambda: len(revisions(real_k8s, ns)) == 2)
    undo(service, reply.approval_id)
    set_image(real_k8s, ns, "daemon_set", "fluentd", "fluentd:2")
    wait_for("fluentd:2", lambda: "fluentd:2" in revisions(real_k8s, ns).values())
    reply, _ = approve(service, f"rollout undo ds/fluentd -n {ns}")
    assert image_of(real_k8s, ns, "daemon_set", "fluentd") == "fluentd:1"
    undo(service, reply.approval_id)
    assert image_of(real_k8s, ns, "daemon_set", "fluentd") == "fluentd:2"


def test_hpa_limits_with_undo_and_the_note_on_a_scale(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-hpa")
    create_deployment(real_k8s, ns, "web", replicas=1)
    client.AutoscalingV1Api(real_k8s.admin()).create_namespaced_horizontal_pod_autoscaler(
        ns,
        {
            "metadata": {"name": "web-hpa"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 10,
            },
        },
    )
    listing = service.handle_request(Request(principal=BOB, text=f"get hpa -n {ns}"))
    assert listing.kind == ReplyKind.RESULT and "Deployment/web" in listing.text
    read = client.AutoscalingV1Api(real_k8s.admin()).read_namespaced_horizontal_pod_autoscaler

    reply, _ = approve(service, f"set hpa/web-hpa --min 3 --max 6 -n {ns}")
    assert (read("web-hpa", ns).spec.min_replicas, read("web-hpa", ns).spec.max_replicas) == (3, 6)
    undo(service, reply.approval_id)
    assert (read("web-hpa", ns).spec.min_replicas, read("web-hpa", ns).spec.max_replicas) == (2, 10)

    scale = service.handle_request(Request(principal=ALICE, text=f"scale deploy/web to 4 in {ns}"))
    assert scale.kind == ReplyKind.NEEDS_APPROVAL
    assert "HPA web-hpa controls this workload (min 2, max 10)" in (scale.previews[0].note or "")


def test_rollout_reads_answer_at_once(service: OpsService, real_k8s: Any) -> None:
    ns = real_k8s.namespace("loop-ro")
    create_deployment(real_k8s, ns, "web", replicas=1)
    status = service.handle_request(
        Request(principal=BOB, text=f"how is the web rollout going in {ns}")
    )
    assert status.kind == ReplyKind.RESULT, status.text
    assert 'Waiting for deployment "web" rollout to finish' in status.text
    history = service.handle_request(
        Request(principal=BOB, text=f"rollout history deploy/web -n {ns}")
    )
    assert history.kind == ReplyKind.RESULT and "nginx:1.24" in history.text
