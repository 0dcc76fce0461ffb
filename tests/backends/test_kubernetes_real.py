"""The Kubernetes backend against the REAL API server (shared/k8s/real-cluster): RBAC,
impersonation, server-side dry run, the deployment controller's ReplicaSets and revisions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings
from bot.models import Principal
from tests.fixtures.services import RealCluster

pytestmark = pytest.mark.k8s_real

REVISION = "deployment.kubernetes.io/revision"


def wait_for(what: str, check: Callable[[], Any], *, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def backend(real_k8s: RealCluster, **settings: Any) -> KubernetesBackend:
    return KubernetesBackend(
        settings=Settings.model_validate({"kube_timeout_seconds": 10.0, **settings}),
        api_client_factory=lambda ctx: real_k8s.api_client(ctx or "opsbot"),
    )


def create_deployment(
    real_k8s: RealCluster,
    ns: str,
    name: str,
    *,
    image: str = "nginx:1.24",
    replicas: int = 2,
    env: list[dict[str, Any]] | None = None,
) -> None:
    container: dict[str, Any] = {"name": name, "image": image}
    if env:
        container["env"] = env
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }
    apps = client.AppsV1Api(real_k8s.admin())
    apps.create_namespaced_deployment(ns, body)
    wait_for(f"revision 1 of {ns}/{name}", lambda: revision(real_k8s, ns, name) == 1)


def read_deployment(real_k8s: RealCluster, ns: str, name: str) -> Any:
    return client.AppsV1Api(real_k8s.admin()).read_namespaced_deployment(name, ns)


def revision(real_k8s: RealCluster, ns: str, name: str) -> int | None:
    notes = read_deployment(real_k8s, ns, name).metadata.annotations or {}
    return int(notes[REVISION]) if REVISION in notes else None


def grant(real_k8s: RealCluster, ns: str, *, subject_kind: str, subject: str) -> None:
    """A Role for what the bot's Kubernetes operations need (bot.catalog rbac), bound in `ns`."""
    rbac = client.RbacAuthorizationV1Api(real_k8s.admin())
    role = f"ops-{subject.lower()}"
    rbac.create_namespaced_role(
        ns,
        {
            "metadata": {"name": role},
            "rules": [
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments", "replicasets"],
                    "verbs": ["get", "list", "patch"],
                },
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments/scale"],
                    "verbs": ["get", "patch"],
                },
                {
                    "apiGroups": [""],
                    "resources": ["pods", "pods/log", "events"],
                    "verbs": ["get", "list", "delete"],
                },
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        ns,
        {
            "metadata": {"name": role},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": subject_kind, "name": subject}
            ],
        },
    )


def _tolerate_already_exists(create: Callable[[], Any]) -> None:
    """Create, treating 409 AlreadyExists as done; every other API error is a real failure."""
    try:
        create()
    except client.ApiException as exc:
        if exc.status != 409:
            raise


@pytest.fixture(scope="module")
def impersonation_right(real_k8s: RealCluster) -> Iterator[None]:
    """Let the bot's own user (opsbot) impersonate users and groups, cluster-wide, for this
    module. The cluster-scoped role and binding are named uniquely (a shared cluster may hold
    another run's) and deleted at the end."""
    rbac = client.RbacAuthorizationV1Api(real_k8s.admin())
    name = f"opsbot-impersonator-{uuid.uuid4().hex[:8]}"
    _tolerate_already_exists(
        lambda: rbac.create_cluster_role(
            {
                "metadata": {"name": name},
                "rules": [
                    {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}
                ],
            }
        )
    )
    try:
        _tolerate_already_exists(
            lambda: rbac.create_cluster_role_binding(
                {
                    "metadata": {"name": name},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": name,
                    },
                    "subjects": [
                        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "opsbot"}
                    ],
                }
            )
        )
        yield
    finally:
        _delete_ignoring_not_found(lambda: rbac.delete_cluster_role_binding(name))
        _delete_ignoring_not_found(lambda: rbac.delete_cluster_role(name))


def _delete_ignoring_not_found(delete: Callable[[], Any]) -> None:
    try:
        delete()
    except client.ApiException as exc:
        if exc.status != 404:
            raise


def test_list_and_describe_deployments(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("reads")
    create_deployment(real_k8s, ns, "web", replicas=2)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    k8s = backend(real_k8s)
    listed = k8s.execute(parse_operation({"operation": "list_deployments", "namespace": ns}))
    assert listed.status == Status.SUCCESS, listed.error
    assert listed.call == f"GET /apis/apps/v1/namespaces/{ns}/deployments"
    [row] = listed.data["deployments"]
    assert row["name"] == "web" and row["replicas"] == 2 and row["images"] == ["nginx:1.24"]
    described = k8s.execute(
        parse_operation({"operation": "describe_deployment", "namespace": ns, "name": "web"})
    )
    assert described.status == Status.SUCCESS, described.error
    assert described.data["revision"] == 1
    assert [h["revision"] for h in described.data["history"]] == [1]
    assert k8s.known_names("deployments", namespace=ns) == ["web"]


def test_pending_pods_and_staged_crashloop_status(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("pods")
    create_deployment(real_k8s, ns, "api", replicas=2)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    core = client.CoreV1Api(real_k8s.admin())
    pods = wait_for(
        "2 pods", lambda: (lambda p: p if len(p) == 2 else None)(core.list_namespaced_pod(ns).items)
    )
    crashing = pods[0].metadata.name
    core.patch_namespaced_pod_status(
        crashing,
        ns,
        {
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "api",
                        "image": "nginx:1.24",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 7,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    }
                ],
            }
        },
    )
    result = backend(real_k8s).execute(
        parse_operation({"operation": "list_pods", "namespace": ns, "label_selector": "app=api"})
    )
    rows = {r["name"]: r for r in result.data["pods"]}
    assert rows[crashing]["status"] == "CrashLoopBackOff" and rows[crashing]["restarts"] == 7
    other = next(name for name in rows if name != crashing)
    assert rows[other]["status"] == "Pending"
    assert rows[crashing]["owner"].startswith("ReplicaSet/api-")


def test_scale_dry_run_then_for_real(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("scale")
    create_deployment(real_k8s, ns, "web", replicas=2)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    k8s = backend(real_k8s)
    op = parse_operation(
        {"operation": "scale_deployment", "namespace": ns, "name": "web", "replicas": 5}
    )
    preview = k8s.preview(op)
    assert preview.dry_run is not None and preview.dry_run.status == Status.SUCCESS, preview
    assert preview.current == {"replicas": 2} and preview.desired == {"replicas": 5}
    assert preview.dry_run.data == {"replicas": 5}
    assert read_deployment(real_k8s, ns, "web").spec.replicas == 2  # the dry run changed nothing
    result = k8s.execute(op)
    assert result.status == Status.SUCCESS, result.error
    assert result.before == {"replicas": 2} and result.after == {"replicas": 5}
    assert read_deployment(real_k8s, ns, "web").spec.replicas == 5


def test_no_rights_is_forbidden_with_a_clear_message(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("norights")
    create_deployment(real_k8s, ns, "web")
    result = backend(real_k8s).execute(
        parse_operation({"operation": "list_deployments", "namespace": ns})
    )
    assert result.error_kind == ErrorKind.FORBIDDEN
    assert result.error == (
        f'forbidden: Kubernetes user "opsbot" may not list deployments.apps '
        f'in the namespace "{ns}" (cluster RBAC)'
    )


def test_impersonation_applies_the_requesters_rbac(
    real_k8s: RealCluster, impersonation_right: None
) -> None:
    ns = real_k8s.namespace("imp")
    create_deployment(real_k8s, ns, "web", replicas=1)
    grant(real_k8s, ns, subject_kind="Group", subject="sre")
    k8s = backend(real_k8s, kube_impersonate=True, kube_user_map={"U-ALICE": "alice"})
    op = parse_operation(
        {"operation": "scale_deployment", "namespace": ns, "name": "web", "replicas": 3}
    )
    alice = Principal(id="U-ALICE", groups=frozenset({"sre"}))
    done = k8s.execute(op, actor=alice)
    assert done.status == Status.SUCCESS, done.error
    assert read_deployment(real_k8s, ns, "web").spec.replicas == 3

    bob = Principal(id="bob", groups=frozenset({"dev"}))
    denied = k8s.execute(op.model_copy(update={"replicas": 9}), actor=bob)
    assert denied.error_kind == ErrorKind.FORBIDDEN
    assert denied.error == (
        f'forbidden: Kubernetes user "bob" may not get deployments/scale.apps '
        f'in the namespace "{ns}" (cluster RBAC)'
    )
    preview = k8s.preview(op, actor=bob)
    assert preview.dry_run is not None and preview.dry_run.error_kind == ErrorKind.FORBIDDEN
    assert read_deployment(real_k8s, ns, "web").spec.replicas == 3


def test_impersonation_without_the_right_is_forbidden(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("noimp")
    k8s = KubernetesBackend(  # viewer may read, but may not impersonate
        settings=Settings(kube_impersonate=True),
        api_client_factory=lambda ctx: real_k8s.api_client("viewer"),
    )
    result = k8s.execute(
        parse_operation({"operation": "list_pods", "namespace": ns}),
        actor=Principal(id="alice", groups=frozenset({"sre"})),
    )
    assert result.error_kind == ErrorKind.FORBIDDEN
    assert 'user "viewer" may not impersonate users' in (result.error or "")


def test_not_found(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("missing")
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    k8s = backend(real_k8s)
    result = k8s.execute(
        parse_operation({"operation": "describe_deployment", "namespace": ns, "name": "ghost"})
    )
    assert result.error_kind == ErrorKind.NOT_FOUND
    assert result.error == f"deployment {ns}/ghost not found"
    assert result.hint == f"check the name with `list deployments -n {ns}`"
    pod = k8s.execute(parse_operation({"operation": "delete_pod", "namespace": ns, "name": "x"}))
    assert pod.error_kind == ErrorKind.NOT_FOUND and pod.error == f"pod {ns}/x not found"
    empty = k8s.execute(parse_operation({"operation": "list_pods", "namespace": ns}))
    assert empty.status == Status.NO_DATA


def test_rollback_and_restart_with_the_real_controller(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("rollout")
    create_deployment(real_k8s, ns, "web", image="nginx:1.24", replicas=1)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    apps = client.AppsV1Api(real_k8s.admin())
    apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}},
    )
    wait_for("revision 2", lambda: revision(real_k8s, ns, "web") == 2)
    k8s = backend(real_k8s)

    undo = parse_operation({"operation": "rollback_deployment", "namespace": ns, "name": "web"})
    preview = k8s.preview(undo)
    assert preview.dry_run is not None and preview.dry_run.ok, preview
    assert preview.current == {"revision": 2, "images": ["nginx:1.25"]}
    assert preview.desired["revision"] == 1 and preview.desired["images"] == ["nginx:1.24"]
    assert revision(real_k8s, ns, "web") == 2  # dry run
    rolled = k8s.execute(undo)
    assert rolled.status == Status.SUCCESS, rolled.error
    assert rolled.before == {"revision": 2, "images": ["nginx:1.25"]}
    wait_for("revision 3", lambda: revision(real_k8s, ns, "web") == 3)
    image = read_deployment(real_k8s, ns, "web").spec.template.spec.containers[0].image
    assert image == "nginx:1.24"

    restart = parse_operation({"operation": "restart_deployment", "namespace": ns, "name": "web"})
    restarted = k8s.execute(restart)
    assert restarted.status == Status.SUCCESS, restarted.error
    assert restarted.before is not None and restarted.before["revision"] == 3
    wait_for("revision 4", lambda: revision(real_k8s, ns, "web") == 4)
    notes = read_deployment(real_k8s, ns, "web").spec.template.metadata.annotations
    assert notes["kubectl.kubernetes.io/restartedAt"] == restarted.after["restartedAt"]  # type: ignore[index]

    back = restart.inverse(restarted.before)
    assert back is not None
    assert k8s.execute(back).status == Status.SUCCESS
    wait_for("revision 5", lambda: revision(real_k8s, ns, "web") == 5)
    template = read_deployment(real_k8s, ns, "web").spec.template
    assert "kubectl.kubernetes.io/restartedAt" not in (template.metadata.annotations or {})
    assert template.spec.containers[0].image == "nginx:1.24"


def test_delete_pod_dry_run_then_for_real(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("delpod")
    create_deployment(real_k8s, ns, "web", replicas=1)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    core = client.CoreV1Api(real_k8s.admin())
    [pod] = wait_for("a pod", lambda: core.list_namespaced_pod(ns).items)
    name = pod.metadata.name
    k8s = backend(real_k8s)
    op = parse_operation({"operation": "delete_pod", "namespace": ns, "name": name})
    preview = k8s.preview(op)
    assert preview.dry_run is not None and preview.dry_run.ok, preview
    assert preview.current["phase"] == "Pending"
    assert preview.current["owner"].startswith("ReplicaSet/web-")
    assert core.read_namespaced_pod(name, ns).metadata.deletion_timestamp is None
    result = k8s.execute(op)
    assert result.status == Status.SUCCESS, result.error
    wait_for(
        "the pod to go",
        lambda: name not in {p.metadata.name for p in core.list_namespaced_pod(ns).items},
    )


def test_env_values_and_secrets_never_shown(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("secrets")
    core = client.CoreV1Api(real_k8s.admin())
    core.create_namespaced_secret(
        ns, {"metadata": {"name": "creds"}, "stringData": {"password": "s3cr3t-from-secret"}}
    )
    create_deployment(
        real_k8s,
        ns,
        "api",
        env=[
            {"name": "DB_PASSWORD", "value": "hunter2-inline-value"},
            {"name": "PLAIN", "value": "plain-inline-value"},
            {
                "name": "FROM_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}},
            },
        ],
    )
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    k8s = backend(real_k8s)
    [pod] = wait_for("pods", lambda: core.list_namespaced_pod(ns).items[:1])
    outputs = [
        k8s.execute(
            parse_operation({"operation": "describe_deployment", "namespace": ns, "name": "api"})
        ),
        k8s.execute(
            parse_operation(
                {"operation": "describe_pod", "namespace": ns, "name": pod.metadata.name}
            )
        ),
    ]
    for result in outputs:
        assert result.status == Status.SUCCESS, result.error
        dumped = result.model_dump_json()
        for value in ("hunter2-inline-value", "plain-inline-value", "s3cr3t-from-secret"):
            assert value not in dumped
        assert "FROM_SECRET (from secret creds, key password)" in (result.text or "")
        assert "DB_PASSWORD" in (result.text or "")


def test_check_and_namespaces(real_k8s: RealCluster) -> None:
    ns = real_k8s.namespace("check")
    admin = KubernetesBackend(api_client_factory=lambda ctx: real_k8s.api_client("admin"))
    assert admin.check() is None
    assert ns in admin.known_names("namespaces")


def test_real_server_rejects_a_stale_resource_version_on_scale(real_k8s: RealCluster) -> None:
    """The precondition execute_scale relies on (and the test server mimics): a scale write
    carrying an old resourceVersion gets 409 Conflict."""
    ns = real_k8s.namespace("stale")
    create_deployment(real_k8s, ns, "web", replicas=1)
    apps = client.AppsV1Api(real_k8s.admin())
    scale = apps.read_namespaced_deployment_scale("web", ns)
    apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"touched": "yes"}}})
    stale = {
        "metadata": {"resourceVersion": scale.metadata.resource_version},
        "spec": {"replicas": 4},
    }
    with pytest.raises(client.ApiException) as caught:
        apps.patch_namespaced_deployment_scale("web", ns, stale)
    assert caught.value.status == 409 and '"reason":"Conflict"' in caught.value.body
    assert read_deployment(real_k8s, ns, "web").spec.replicas == 1


def test_undo_right_after_a_rollback_returns_to_the_revision_it_left(
    real_k8s: RealCluster,
) -> None:
    """The inverse of a rollback, previewed and run at once: the deployment's revision
    annotation lags until the controller has seen the rollback, so the backend waits for it
    (observedGeneration) instead of refusing with "already at revision 2"."""
    ns = real_k8s.namespace("undo")
    create_deployment(real_k8s, ns, "web", image="nginx:1.24", replicas=1)
    grant(real_k8s, ns, subject_kind="User", subject="opsbot")
    apps = client.AppsV1Api(real_k8s.admin())
    apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}},
    )
    wait_for("revision 2", lambda: revision(real_k8s, ns, "web") == 2)
    k8s = backend(real_k8s)
    rollback = parse_operation({"operation": "rollback_deployment", "namespace": ns, "name": "web"})
    rolled = k8s.execute(rollback)
    assert rolled.status == Status.SUCCESS, rolled.error

    undo = rollback.inverse(rolled.before or {})
    assert undo is not None
    preview = k8s.preview(undo)
    assert preview.dry_run is not None and preview.dry_run.ok, preview.dry_run
    assert preview.current == {"revision": 3, "images": ["nginx:1.24"]}
    assert preview.desired["revision"] == 2 and preview.desired["images"] == ["nginx:1.25"]
    undone = k8s.execute(undo)
    assert undone.status == Status.SUCCESS, undone.error
    image = read_deployment(real_k8s, ns, "web").spec.template.spec.containers[0].image
    assert image == "nginx:1.25"
