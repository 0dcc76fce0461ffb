"""Transient failures, conflicts and impersonation headers, injected by the Kubernetes API test
server and seen through the real kubernetes client."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from bot.backends.base import ErrorKind, Status
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings
from bot.models import Principal
from tests.fixtures.k8s_fake import FakeK8s, backend_on

SCALE = {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 5}


def test_500_is_retried_then_succeeds(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.fail_next(r"/deployments$", status=500, times=2)
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod"})
    )
    assert result.status == Status.SUCCESS
    assert [r.status for r in fake_k8s.calls("GET", "/deployments")] == [500, 500, 200]


def test_persistent_503_gives_temporary_after_bounded_attempts(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.fail_next(r"/deployments/web$", status=503, times=10)
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "describe_deployment", "namespace": "prod", "name": "web"})
    )
    assert result.error_kind == ErrorKind.TEMPORARY
    assert "503" in (result.error or "") and "after 3 attempts" in (result.error or "")
    assert result.call == "GET /apis/apps/v1/namespaces/prod/deployments/web"
    assert result.hint and "try again" in result.hint
    assert len(fake_k8s.calls("GET", "/deployments/web")) == 3


def test_429_honours_retry_after(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "api-1", logs="ok")
    fake_k8s.fail_next(r"/log$", status=429, retry_after=1)
    started = time.monotonic()
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "pod_logs", "namespace": "prod", "name": "api-1"})
    )
    waited = time.monotonic() - started
    assert result.text == "ok"
    assert [r.status for r in fake_k8s.calls("GET", "/log")] == [429, 200]
    assert waited >= 0.9  # the server asked for 1 s; the small default backoff is 0.1 s


def test_other_4xx_are_never_retried(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.fail_next(r"/deployments$", status=400, times=5)
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod"})
    )
    assert result.error_kind == ErrorKind.INVALID
    assert [r.status for r in fake_k8s.calls("GET", "/deployments")] == [400]


def test_timeout_is_reported_with_the_call(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "slow")
    fake_k8s.delay_next(r"/pods/slow$", seconds=1.5, times=3)
    result = backend_on(fake_k8s, kube_timeout_seconds=0.3).execute(
        parse_operation({"operation": "describe_pod", "namespace": "prod", "name": "slow"})
    )
    assert result.error_kind == ErrorKind.TEMPORARY
    assert "did not answer within 0.3s" in (result.error or "")
    assert result.call == "GET /api/v1/namespaces/prod/pods/slow"
    assert len(fake_k8s.calls("GET", "/pods/slow")) == 3


def test_one_slow_answer_is_retried(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "slow")
    fake_k8s.delay_next(r"/pods/slow$", seconds=1.0, times=1)
    result = backend_on(fake_k8s, kube_timeout_seconds=0.3).execute(
        parse_operation({"operation": "describe_pod", "namespace": "prod", "name": "slow"})
    )
    assert result.status == Status.SUCCESS and result.data["name"] == "slow"


def test_dropped_connection_is_retried(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "api-1")
    fake_k8s.drop_next(r"/namespaces/prod/pods$", times=1)
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "list_pods", "namespace": "prod"})
    )
    assert result.status == Status.SUCCESS
    assert [r.status for r in fake_k8s.calls("GET", "/namespaces/prod/pods")] == [-1, 200]


def test_connections_that_keep_dropping_give_temporary(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "api-1")
    fake_k8s.drop_next(r"/pods/api-1$", times=5)
    result = backend_on(fake_k8s).execute(
        parse_operation({"operation": "delete_pod", "namespace": "prod", "name": "api-1"})
    )
    assert result.error_kind == ErrorKind.TEMPORARY
    assert "connection" in (result.error or "").lower()
    assert fake_k8s.store.get("pods", "prod", "api-1") is not None


def test_stale_resource_version_conflict_is_reread_and_retried(fake_k8s: FakeK8s) -> None:
    """A concurrent writer changes the deployment between our read and our write: the server
    answers 409; the backend re-reads the scale and writes again with the fresh version."""
    fake_k8s.add_deployment("prod", "web", replicas=2)
    fake_k8s.conflict_next(r"/deployments/web/scale$", times=1, method="PATCH")
    result = backend_on(fake_k8s).execute(parse_operation(SCALE))
    assert result.status == Status.SUCCESS, result.error
    assert result.before == {"replicas": 2} and result.after == {"replicas": 5}
    patches = fake_k8s.calls("PATCH", "/deployments/web/scale")
    assert [p.status for p in patches] == [409, 200]
    assert (
        patches[0].body["metadata"]["resourceVersion"]
        != (patches[1].body["metadata"]["resourceVersion"])
    )
    assert fake_k8s.store.get("deployments", "prod", "web")["spec"]["replicas"] == 5  # type: ignore[index]


def test_stale_resource_version_is_rejected_by_the_server(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", replicas=2)
    apps = client.AppsV1Api(fake_k8s.api_client("admin"))
    scale = apps.read_namespaced_deployment_scale("web", "prod")
    apps.patch_namespaced_deployment("web", "prod", {"metadata": {"labels": {"x": "1"}}})
    scale.spec.replicas = 4
    try:
        apps.replace_namespaced_deployment_scale("web", "prod", scale)
    except client.ApiException as exc:
        assert exc.status == 409 and '"reason":"Conflict"' in exc.body
    else:
        raise AssertionError("a stale resourceVersion must give 409 Conflict")


def test_conflicts_that_persist_give_conflict(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", replicas=2)
    fake_k8s.fail_next(r"/deployments/web/scale$", status=409, times=3, method="PATCH")
    result = backend_on(fake_k8s).execute(parse_operation(SCALE))
    assert result.error_kind == ErrorKind.CONFLICT
    assert "kept changing" in (result.error or "")
    assert len(fake_k8s.calls("PATCH", "/scale")) == 3
    assert fake_k8s.store.get("deployments", "prod", "web")["spec"]["replicas"] == 2  # type: ignore[index]


def test_impersonation_headers_and_forbidden_message(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web", replicas=2)
    fake_k8s.grant(user="opsbot", verbs=["impersonate"], resources=["users", "groups"])
    fake_k8s.grant(
        group="sre", verbs=["get", "patch"], resources=["deployments/scale"], namespaces=["prod"]
    )
    backend = backend_on(fake_k8s, kube_impersonate=True, kube_user_map={"U123": "alice"})
    alice = Principal(id="U123", groups=frozenset({"sre", "oncall"}))
    ok = backend.execute(parse_operation(SCALE), actor=alice)
    assert ok.status == Status.SUCCESS, ok.error
    sent = fake_k8s.calls("PATCH", "/scale")[-1]
    assert sent.headers["impersonate-user"] == ["alice"]
    assert sorted(sent.headers["impersonate-group"]) == ["oncall", "sre"]

    bob = Principal(id="bob", groups=frozenset({"dev"}))
    denied = backend.execute(parse_operation({**SCALE, "replicas": 7}), actor=bob)
    assert denied.error_kind == ErrorKind.FORBIDDEN
    assert denied.error == (
        'forbidden: Kubernetes user "bob" may not get deployments/scale.apps '
        'in the namespace "prod" (cluster RBAC)'
    )
    assert denied.hint and "RBAC" in denied.hint
    assert len(fake_k8s.calls("GET", "/scale")) == 2  # 403 is not retried
    assert fake_k8s.store.get("deployments", "prod", "web")["spec"]["replicas"] == 5  # type: ignore[index]


def test_bot_without_impersonate_right_is_forbidden(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.grant(group="sre", verbs=["*"], resources=["*"])
    backend = backend_on(fake_k8s, kube_impersonate=True)
    result = backend.execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod"}),
        actor=Principal(id="alice", groups=frozenset({"sre"})),
    )
    assert result.error_kind == ErrorKind.FORBIDDEN
    assert 'user "opsbot" may not impersonate users' in (result.error or "")


def test_without_impersonation_no_headers_are_sent(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    backend_on(fake_k8s).execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod"}),
        actor=Principal(id="alice", groups=frozenset({"sre"})),
    )
    assert "impersonate-user" not in fake_k8s.requests[-1].headers


def test_delete_whose_first_answer_was_lost_still_succeeds(fake_k8s: FakeK8s) -> None:
    """The server deletes the pod but its answer comes too late: the retried
    DELETE gets 404, which means the pod is gone, as asked."""
    fake_k8s.add_pod("prod", "api-1")
    fake_k8s.delay_next(
        r"/pods/api-1$", seconds=1.0, times=1, method="DELETE", after_processing=True
    )
    result = backend_on(fake_k8s, kube_timeout_seconds=0.4).execute(
        parse_operation({"operation": "delete_pod", "namespace": "prod", "name": "api-1"})
    )
    assert result.status == Status.SUCCESS, result.error
    assert "already gone" in (result.text or "")
    assert [r.status for r in fake_k8s.calls("DELETE")] == [200, 404]
    assert fake_k8s.store.get("pods", "prod", "api-1") is None


def test_kubeconfig_from_the_environment_and_per_operation_context(
    fake_k8s: FakeK8s, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No factory given: the backend loads KUBECONFIG itself, uses OPSBOT_KUBE_CONTEXT by
    default and an operation's own `context` when it names one."""
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.grant(user="alice", verbs=["list"], resources=["deployments"])
    monkeypatch.setenv("KUBECONFIG", str(fake_k8s.kubeconfig_path))
    backend = KubernetesBackend(settings=Settings(kube_context="alice"))
    listed = backend.execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod"})
    )
    assert listed.status == Status.SUCCESS, listed.error
    as_bob = backend.execute(
        parse_operation({"operation": "list_deployments", "namespace": "prod", "context": "bob"})
    )
    assert as_bob.error_kind == ErrorKind.FORBIDDEN and '"bob"' in (as_bob.error or "")
    tokens = [r.headers["authorization"][0] for r in fake_k8s.calls("GET", "/deployments")]
    assert tokens == ["Bearer fake-token-alice", "Bearer fake-token-bob"]


def test_unknown_context_is_not_configured(
    fake_k8s: FakeK8s, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(fake_k8s.kubeconfig_path))
    result = KubernetesBackend(settings=Settings()).execute(
        parse_operation({"operation": "list_pods", "context": "nowhere"})
    )
    assert result.error_kind == ErrorKind.NOT_CONFIGURED
    assert "context 'nowhere'" in (result.error or "") and result.hint
