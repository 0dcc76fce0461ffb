"""Writes against the Kubernetes API test server: previews are server-side dry runs that change
nothing; execution records before/after so the catalog can build the undo step."""

from __future__ import annotations

from typing import Any

from bot.backends.base import ErrorKind, Status
from bot.catalog import parse_operation
from tests.fixtures.k8s_fake import FakeK8s, backend_on


def deployment(fake: FakeK8s, name: str = "web") -> dict[str, Any]:
    obj = fake.store.get("deployments", "prod", name)
    assert obj is not None
    return obj


def test_scale_preview_is_a_dry_run_and_execute_captures_before(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", replicas=2)
    backend = backend_on(fake_k8s)
    op = parse_operation(
        {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}
    )
    preview = backend.preview(op)
    assert preview.current == {"replicas": 2} and preview.desired == {"replicas": 5}
    assert preview.dry_run is not None and preview.dry_run.status == Status.SUCCESS
    assert preview.dry_run.call == (
        "PATCH /apis/apps/v1/namespaces/prod/deployments/web/scale?dryRun=All"
    )
    assert fake_k8s.calls("PATCH", "/scale")[-1].query["dryRun"] == "All"
    assert deployment(fake_k8s)["spec"]["replicas"] == 2

    result = backend.execute(op)
    assert result.call == "PATCH /apis/apps/v1/namespaces/prod/deployments/web/scale"
    assert result.before == {"replicas": 2} and result.after == {"replicas": 5}
    assert deployment(fake_k8s)["spec"]["replicas"] == 5
    assert result.duration_ms > 0

    undo = op.inverse(result.before)
    assert undo is not None
    assert backend.execute(undo).after == {"replicas": 2}
    assert deployment(fake_k8s)["spec"]["replicas"] == 2


def test_restart_sets_restarted_at_and_makes_a_new_revision(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", images=["web:1", "web:2"])
    backend = backend_on(fake_k8s)
    op = parse_operation({"operation": "restart_deployment", "namespace": "prod", "name": "web"})
    preview = backend.preview(op)
    assert preview.current["revision"] == 2 and preview.current["images"] == ["web:2"]
    assert preview.desired["revision"] == 3 and preview.desired["restartedAt"]
    assert preview.dry_run is not None and preview.dry_run.ok
    assert (
        deployment(fake_k8s)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    )

    result = backend.execute(op)
    assert result.status == Status.SUCCESS
    assert result.before is not None and result.before["revision"] == 2
    template = deployment(fake_k8s)["spec"]["template"]
    assert (
        template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
        == (
            result.after["restartedAt"]  # type: ignore[index]
        )
    )
    assert (
        deployment(fake_k8s)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    )
    undo = op.inverse(result.before)
    assert undo is not None and undo.kind == "rollback_deployment"
    assert backend.execute(undo).status == Status.SUCCESS
    assert "restartedAt" not in str(deployment(fake_k8s)["spec"]["template"])


def test_rollback_returns_to_the_previous_revision(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", images=["web:1", "web:2", "web:3"])
    backend = backend_on(fake_k8s)
    op = parse_operation({"operation": "rollback_deployment", "namespace": "prod", "name": "web"})
    preview = backend.preview(op)
    assert preview.current == {"revision": 3, "images": ["web:3"]}
    assert preview.desired["revision"] == 2 and preview.desired["images"] == ["web:2"]
    assert preview.note == "returns to revision 2 (web:2); it becomes revision 4"
    assert deployment(fake_k8s)["spec"]["template"]["spec"]["containers"][0]["image"] == "web:3"

    result = backend.execute(op)
    assert result.before == {"revision": 3, "images": ["web:3"]}
    dep = deployment(fake_k8s)
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "web:2"
    assert "pod-template-hash" not in dep["spec"]["template"]["metadata"]["labels"]
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    sent = fake_k8s.calls("PATCH", "/deployments/web")[-1]
    assert sent.headers["content-type"] == ["application/json-patch+json"]
    assert sent.body[0]["path"] == "/spec/template"


def test_rollback_to_a_given_revision_and_unknown_revision(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", images=["web:1", "web:2", "web:3"])
    backend = backend_on(fake_k8s)
    to_one = parse_operation(
        {"operation": "rollback_deployment", "namespace": "prod", "name": "web", "to_revision": 1}
    )
    assert backend.execute(to_one).after["images"] == ["web:1"]  # type: ignore[index]
    missing = backend.execute(
        parse_operation(
            {
                "operation": "rollback_deployment",
                "namespace": "prod",
                "name": "web",
                "to_revision": 9,
            }
        )
    )
    assert missing.error_kind == ErrorKind.NOT_FOUND
    assert missing.error == (
        "revision 9 of deployment prod/web not found; available revisions: 2, 3, 4"
    )
    assert missing.hint == "see the revisions with `describe deployment web -n prod`"


def test_rollback_without_history_is_a_clear_error(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    backend = backend_on(fake_k8s)
    op = parse_operation({"operation": "rollback_deployment", "namespace": "prod", "name": "web"})
    result = backend.execute(op)
    assert result.error_kind == ErrorKind.INVALID
    assert (
        result.error
        == "deployment prod/web has no previous revision to roll back to (revisions: 1)"
    )
    preview = backend.preview(op)
    assert preview.dry_run is not None and preview.dry_run.error_kind == ErrorKind.INVALID
    assert preview.note and "no previous revision" in preview.note
    assert fake_k8s.calls("PATCH") == []


def test_paused_deployment_is_not_restarted(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    deployment(fake_k8s)["spec"]["paused"] = True
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "restart_deployment", "namespace": "prod", "name": "web"})
    )
    assert result.error_kind == ErrorKind.INVALID and "paused" in (result.error or "")
    assert fake_k8s.calls("PATCH") == []


def test_delete_pod_preview_then_delete(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "web-1", owner=("ReplicaSet", "web-5d4"))
    fake_k8s.add_pod("prod", "lonely")
    backend = backend_on(fake_k8s)
    op = parse_operation(
        {"operation": "delete_pod", "namespace": "prod", "name": "web-1", "grace_period_seconds": 0}
    )
    preview = backend.preview(op)
    assert preview.current["owner"] == "ReplicaSet/web-5d4" and preview.desired == {"exists": False}
    assert preview.dry_run is not None and preview.dry_run.call.endswith("?dryRun=All")
    assert fake_k8s.store.get("pods", "prod", "web-1") is not None

    result = backend.execute(op)
    assert result.status == Status.SUCCESS and result.before["phase"] == "Running"  # type: ignore[index]
    assert fake_k8s.store.get("pods", "prod", "web-1") is None
    assert fake_k8s.calls("DELETE")[-1].query["gracePeriodSeconds"] == "0"
    lonely = backend.preview(
        parse_operation({"operation": "delete_pod", "namespace": "prod", "name": "lonely"})
    )
    assert lonely.note == "this pod has no controller: it will NOT come back"


def test_write_on_missing_deployment_is_not_found(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_namespace("prod")
    backend = backend_on(fake_k8s)
    op = parse_operation(
        {"operation": "scale_deployment", "namespace": "prod", "name": "ghost", "replicas": 1}
    )
    result = backend.execute(op)
    assert result.error_kind == ErrorKind.NOT_FOUND
    assert result.error == "deployment prod/ghost not found"
    assert result.hint == "check the name with `list deployments -n prod`"
    preview = backend.preview(op)
    assert preview.dry_run is not None and preview.dry_run.error_kind == ErrorKind.NOT_FOUND


def test_reads_have_nothing_to_preview(fake_k8s: FakeK8s) -> None:
    preview = backend_on(fake_k8s).preview(
        parse_operation({"operation": "list_pods", "namespace": "prod"})
    )
    assert preview.dry_run is None and preview.note == "read-only: nothing changes"
    assert fake_k8s.requests == []


def test_non_kubernetes_operation_is_rejected(fake_k8s: FakeK8s) -> None:
    result = backend_on(fake_k8s).execute(parse_operation({"operation": "list_containers"}))
    assert result.error_kind == ErrorKind.INVALID and "not a Kubernetes operation" in (
        result.error or ""
    )
