"""The whole loop against the real Kubernetes API server: preview with dry run, approval,
execution exactly once, undo; and the cluster's own RBAC through impersonation."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client

from bot.models import MessageRef, Principal, Request
from bot.replies import PlanExecuted, ReplyKind
from tests.core.conftest import ALICE, BOB, CAROL, ServiceFactory
from tests.fixtures.services import RealCluster


def _deployment(name: str, replicas: int) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="app", image="registry.local/web:1.0")]
                ),
            ),
        ),
    )


@pytest.fixture
def cluster_ns(real_k8s: Any) -> tuple[Any, str]:
    ns = real_k8s.namespace("loop")
    client.AppsV1Api(real_k8s.admin()).create_namespaced_deployment(ns, _deployment("web", 1))
    return real_k8s, ns


def _ref(approval_id: str) -> MessageRef:
    return MessageRef(platform="test", channel="C1", ts=approval_id)


def _replicas(real_k8s: Any, ns: str) -> int:
    return int(
        client.AppsV1Api(real_k8s.admin()).read_namespaced_deployment("web", ns).spec.replicas
    )


def test_scale_with_preview_approval_execution_and_undo(
    make_service: ServiceFactory, cluster_ns: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_k8s, ns = cluster_ns
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    from bot.approvals.memory_store import MemoryApprovalStore

    service = make_service(store=MemoryApprovalStore(), kube_disabled=False, kube_context="admin")

    listing = service.handle_request(Request(principal=BOB, text=f"list deployments -n {ns}"))
    assert listing.kind == ReplyKind.RESULT and "web" in listing.text

    reply = service.handle_request(Request(principal=ALICE, text=f"scale deploy/web to 3 in {ns}"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL, reply.text
    preview = reply.previews[0]
    assert (preview.current.get("replicas"), preview.desired.get("replicas")) == (1, 3)
    assert preview.dry_run_ok is True
    assert _replicas(real_k8s, ns) == 1  # the dry run changed nothing
    assert reply.approval_id
    service.attach_message(reply.approval_id, _ref(reply.approval_id))

    done = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=True)
    assert isinstance(done, PlanExecuted) and done.execution.ok
    assert _replicas(real_k8s, ns) == 3
    assert done.execution.undo_plan is not None

    undo = service.request_undo(message=_ref(reply.approval_id), requester=CAROL)
    assert undo.kind == ReplyKind.NEEDS_APPROVAL and undo.approval_id
    service.attach_message(undo.approval_id, _ref(undo.approval_id))
    undone = service.vote(message=_ref(undo.approval_id), voter=ALICE, approve=True)
    assert isinstance(undone, PlanExecuted)
    assert _replicas(real_k8s, ns) == 1


def test_restart_then_rollback_through_the_loop(
    make_service: ServiceFactory, cluster_ns: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_k8s, ns = cluster_ns
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    from bot.approvals.memory_store import MemoryApprovalStore

    service = make_service(store=MemoryApprovalStore(), kube_disabled=False, kube_context="admin")
    apps = client.AppsV1Api(real_k8s.admin())
    _wait_revision(apps, ns, 1)

    reply = service.handle_request(Request(principal=ALICE, text=f"restart deploy/web -n {ns}"))
    assert reply.approval_id, reply.text
    service.attach_message(reply.approval_id, _ref(reply.approval_id))
    done = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=True)
    assert isinstance(done, PlanExecuted) and done.execution.ok, done.text
    _wait_revision(apps, ns, 2)
    annotations = apps.read_namespaced_deployment("web", ns).spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" in (annotations or {})

    back = service.handle_request(Request(principal=ALICE, text=f"rollback deploy/web -n {ns}"))
    assert back.approval_id, back.text
    service.attach_message(back.approval_id, _ref(back.approval_id))
    rolled = service.vote(message=_ref(back.approval_id), voter=CAROL, approve=True)
    assert isinstance(rolled, PlanExecuted) and rolled.execution.ok, rolled.text
    _wait_revision(apps, ns, 3)
    annotations = apps.read_namespaced_deployment("web", ns).spec.template.metadata.annotations
    assert "kubectl.kubernetes.io/restartedAt" not in (annotations or {})


def _wait_revision(apps: client.AppsV1Api, ns: str, revision: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        annotations = apps.read_namespaced_deployment("web", ns).metadata.annotations or {}
        if annotations.get("deployment.kubernetes.io/revision") == str(revision):
            return
        time.sleep(0.2)
    raise AssertionError(f"deployment web in {ns} never reached revision {revision}")


def _delete_cluster_rbac(rbac: client.RbacAuthorizationV1Api, name: str) -> None:
    for delete in (rbac.delete_cluster_role_binding, rbac.delete_cluster_role):
        try:
            delete(name)
        except client.ApiException as exc:
            if exc.status != 404:
                raise


def test_impersonation_applies_the_clusters_rbac(
    make_service: ServiceFactory,
    cluster_ns: tuple[Any, str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """The bot runs as `opsbot` (may only impersonate); alice may list pods in the namespace,
    bob may not: the cluster, not only our policy, decides."""
    real_k8s, ns = cluster_ns
    rbac = client.RbacAuthorizationV1Api(real_k8s.admin())
    # cluster-scoped, so named after the (unique) namespace and deleted when the test ends
    request.addfinalizer(lambda: _delete_cluster_rbac(rbac, f"impersonator-{ns}"))
    rbac.create_cluster_role(
        client.V1ClusterRole(
            metadata=client.V1ObjectMeta(name=f"impersonator-{ns}"),
            rules=[
                client.V1PolicyRule(
                    api_groups=[""], resources=["users", "groups"], verbs=["impersonate"]
                )
            ],
        )
    )
    rbac.create_cluster_role_binding(
        client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name=f"impersonator-{ns}"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=f"impersonator-{ns}"
            ),
            subjects=[
                client.RbacV1Subject(
                    kind="User", name="opsbot", api_group="rbac.authorization.k8s.io"
                )
            ],
        )
    )
    rbac.create_namespaced_role_binding(
        ns,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="alice-view"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"
            ),
            subjects=[
                client.RbacV1Subject(
                    kind="User", name="alice", api_group="rbac.authorization.k8s.io"
                )
            ],
        ),
    )
    # RBAC changes reach the authorizer's cache a moment later: wait until they are in force
    _wait_until_allowed(real_k8s, "opsbot", verb="impersonate", resource="users")
    _wait_until_allowed(real_k8s, "alice", verb="list", resource="deployments", group="apps", ns=ns)
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    from bot.approvals.memory_store import MemoryApprovalStore

    service = make_service(
        store=MemoryApprovalStore(),
        kube_disabled=False,
        kube_context="opsbot",
        kube_impersonate=True,
    )
    allowed = service.handle_request(Request(principal=ALICE, text=f"list deployments -n {ns}"))
    assert allowed.execution and allowed.execution.ok, allowed.text
    assert "web" in allowed.text
    refused = service.handle_request(
        Request(principal=Principal(id="bob"), text=f"list deployments -n {ns}")
    )
    assert refused.execution is not None and not refused.execution.ok
    result = refused.execution.steps[0].result
    assert result.error_kind is not None and result.error_kind.value == "forbidden"
    assert "bob" in (result.error or "")


def test_a_write_whose_dry_run_fails_is_not_put_up_for_approval(
    make_service: ServiceFactory, cluster_ns: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_k8s, ns = cluster_ns
    monkeypatch.setenv("KUBECONFIG", str(real_k8s.kubeconfig))
    from bot.approvals.memory_store import MemoryApprovalStore

    service = make_service(store=MemoryApprovalStore(), kube_disabled=False, kube_context="admin")
    reply = service.handle_request(Request(principal=ALICE, text=f"scale deploy/wbe to 3 in {ns}"))
    assert reply.kind == ReplyKind.INVALID
    assert "wbe" in reply.text and "dry run failed" in reply.text.lower()
    assert f"list deployments -n {ns}" in reply.text  # what to try next
    assert service.store.list_pending() == []


def _wait_until_allowed(
    real_k8s: RealCluster,
    user: str,
    *,
    verb: str,
    resource: str,
    group: str = "",
    ns: str | None = None,
) -> None:
    """Ask the API server (SubjectAccessReview) until `user` may `verb` `resource` (10 s)."""
    api = client.AuthorizationV1Api(real_k8s.admin())
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user=user,
            resource_attributes=client.V1ResourceAttributes(
                verb=verb, resource=resource, group=group, namespace=ns
            ),
        )
    )
    deadline = time.monotonic() + 10
    while not api.create_subject_access_review(review).status.allowed:
        if time.monotonic() > deadline:
            pytest.fail(f"RBAC for {user} ({verb} {resource}) not in force after 10 s")
        time.sleep(0.1)
