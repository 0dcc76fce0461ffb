"""Reads through the real kubernetes client against the Kubernetes API test server (pods have
logs and statuses here, which the real control plane without kubelet cannot give)."""

from __future__ import annotations

from bot.backends.base import ErrorKind, Status
from bot.catalog import Operation, parse_operation
from bot.redact import REDACTED
from tests.fixtures.k8s_fake import FakeK8s, backend_on


def op(**fields: object) -> Operation:
    return parse_operation(dict(fields))


def test_list_pods_table_selector_and_exact_call(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "web-1", labels={"app": "web"}, restarts=3)
    fake_k8s.add_pod("prod", "web-2", labels={"app": "web"}, waiting_reason="CrashLoopBackOff")
    fake_k8s.add_pod("prod", "db-0", labels={"app": "db"})
    result = backend_on(fake_k8s).execute(
        op(operation="list_pods", namespace="prod", label_selector="app=web")
    )
    assert result.status == Status.SUCCESS
    assert result.call == "GET /api/v1/namespaces/prod/pods?labelSelector=app%3Dweb"
    names = [p["name"] for p in result.data["pods"]]
    assert names == ["web-1", "web-2"]
    assert result.data["pods"][1]["status"] == "CrashLoopBackOff"
    assert result.data["pods"][0]["restarts"] == 3
    assert "CrashLoopBackOff" in (result.text or "") and "db-0" not in (result.text or "")
    sent = fake_k8s.calls("GET", "/namespaces/prod/pods")[-1]
    assert sent.query["labelSelector"] == "app=web"


def test_empty_lists_are_no_data(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_namespace("empty")
    backend = backend_on(fake_k8s)
    for kind in ("list_pods", "list_deployments", "list_events"):
        result = backend.execute(op(operation=kind, namespace="empty"))
        assert result.status == Status.NO_DATA, kind
        assert result.ok and "empty" in (result.text or "")


def test_list_pods_follows_continue_tokens(fake_k8s: FakeK8s) -> None:
    for i in range(1203):
        fake_k8s.add_pod("big", f"p-{i:05d}")
    result = backend_on(fake_k8s).execute(op(operation="list_pods", namespace="big"))
    assert result.data["count"] == 1203
    pages = fake_k8s.calls("GET", "/namespaces/big/pods")
    assert [r.query.get("limit") for r in pages] == ["500", "500", "500"]
    assert "continue" not in pages[0].query and "continue" in pages[1].query


def test_list_all_namespaces(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("a", "web")
    fake_k8s.add_deployment("b", "api", replicas=3, image="api:2")
    result = backend_on(fake_k8s).execute(op(operation="list_deployments", all_namespaces=True))
    assert result.call == "GET /apis/apps/v1/deployments"
    assert {(d["namespace"], d["name"]) for d in result.data["deployments"]} == {
        ("a", "web"),
        ("b", "api"),
    }
    assert "NAMESPACE" in (result.text or "") and "api:2" in (result.text or "")


def test_pod_logs_tail_container_and_previous(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod(
        "prod",
        "api-1",
        containers=[{"name": "app", "image": "a:1"}, {"name": "sidecar", "image": "s:1"}],
        logs={"app": "\n".join(f"line {i}" for i in range(10)), "sidecar": "proxy up"},
        previous_logs="panic: boom",
    )
    backend = backend_on(fake_k8s)
    tail = backend.execute(
        op(operation="pod_logs", namespace="prod", name="api-1", container="app", tail_lines=3)
    )
    assert tail.status == Status.SUCCESS
    assert tail.text == "line 7\nline 8\nline 9"
    assert tail.call == "GET /api/v1/namespaces/prod/pods/api-1/log?container=app&tailLines=3"
    prev = backend.execute(
        op(operation="pod_logs", namespace="prod", name="api-1", container="app", previous=True)
    )
    assert prev.text == "panic: boom"
    ambiguous = backend.execute(op(operation="pod_logs", namespace="prod", name="api-1"))
    assert ambiguous.error_kind == ErrorKind.INVALID
    assert "app sidecar" in (ambiguous.error or "") and "--container" in (ambiguous.hint or "")


def test_pod_logs_since_seconds_is_sent_and_honoured(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "api-1")
    fake_k8s.append_log("prod", "api-1", "old line", age_seconds=3600)
    fake_k8s.append_log("prod", "api-1", "new line")
    result = backend_on(fake_k8s).execute(
        op(operation="pod_logs", namespace="prod", name="api-1", since_seconds=60)
    )
    assert result.text == "new line"
    assert fake_k8s.calls("GET", "/log")[-1].query["sinceSeconds"] == "60"


def test_long_logs_keep_the_tail_with_a_marker(fake_k8s: FakeK8s) -> None:
    lines = [f"request {i} served in 12ms" for i in range(2000)]
    fake_k8s.add_pod("prod", "noisy", logs="\n".join(lines))
    result = backend_on(fake_k8s, max_output_chars=500).execute(
        op(operation="pod_logs", namespace="prod", name="noisy", tail_lines=2000)
    )
    assert result.truncated
    text = result.text or ""
    assert text.startswith("… [truncated:") and text.endswith("request 1999 served in 12ms")
    assert len(text) < 600


def test_empty_log_is_no_data(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "quiet")
    result = backend_on(fake_k8s).execute(op(operation="pod_logs", namespace="prod", name="quiet"))
    assert result.status == Status.NO_DATA and "empty" in (result.text or "")


def test_events_warnings_first_filtered_and_limited(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="web-1",
        reason="Pulled",
        message="pulled",
        age_seconds=5,
    )
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="web-1",
        reason="BackOff",
        message="Back-off restarting failed container",
        type="Warning",
        age_seconds=50,
    )
    fake_k8s.add_event(
        "prod", object_kind="Pod", object_name="db-0", reason="Started", message="started"
    )
    backend = backend_on(fake_k8s)
    about = backend.execute(op(operation="list_events", namespace="prod", object_name="web-1"))
    assert [e["reason"] for e in about.data["events"]] == ["BackOff", "Pulled"]
    assert fake_k8s.calls("GET", "/events")[-1].query["fieldSelector"] == (
        "involvedObject.name=web-1"
    )
    warnings = backend.execute(op(operation="list_events", namespace="prod", warnings_only=True))
    assert [e["reason"] for e in warnings.data["events"]] == ["BackOff"]
    limited = backend.execute(op(operation="list_events", namespace="prod", limit=1))
    assert limited.data["count"] == 1 and limited.data["total"] == 3 and limited.truncated
    assert "2 more events" in (limited.text or "")


def test_describe_deployment_history_and_env_names_only(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment(
        "prod",
        "web",
        replicas=2,
        images=["web:1.0", "web:1.1"],
        env=[
            {"name": "DB_PASSWORD", "value": "hunter2-super-secret"},
            {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "api"}}},
        ],
    )
    result = backend_on(fake_k8s).execute(
        op(operation="describe_deployment", namespace="prod", name="web")
    )
    assert result.status == Status.SUCCESS
    assert [h["images"] for h in result.data["history"]] == [["web:1.1"], ["web:1.0"]]
    assert [h["revision"] for h in result.data["history"]] == [2, 1]
    env = result.data["containers"][0]["env"]
    assert env == ["DB_PASSWORD", "API_KEY (from secret creds, key api)"]
    everything = result.model_dump_json()
    assert "hunter2" not in everything
    assert "/replicasets?labelSelector=app%3Dweb" in result.call


def test_describe_pod_shows_state_and_hides_secrets(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod(
        "prod",
        "api-1",
        phase="Running",
        restarts=4,
        waiting_reason="CrashLoopBackOff",
        owner=("ReplicaSet", "api-5d4"),
        containers=[
            {
                "name": "app",
                "image": "api:3",
                "env": [{"name": "TOKEN", "value": "ghp_abcdefghijklmnopqrstuvwxyz012345"}],
                "args": ["--password=hunter2"],
            }
        ],
    )
    pod = fake_k8s.store.get("pods", "prod", "api-1")
    assert pod is not None
    pod["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"env":"hunter2"}',
        "note": "db url postgres://app:hunter2@db:5432/app",
    }
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="api-1",
        reason="BackOff",
        message="Back-off restarting",
        type="Warning",
    )
    result = backend_on(fake_k8s).execute(
        op(operation="describe_pod", namespace="prod", name="api-1")
    )
    assert result.data["status"] == "CrashLoopBackOff" and result.data["restarts"] == 4
    assert result.data["owner"] == "ReplicaSet/api-5d4"
    assert result.data["containers"][0]["env"] == ["TOKEN"]
    assert result.data["events"][0]["reason"] == "BackOff"
    dumped = result.model_dump_json()
    assert "hunter2" not in dumped and "ghp_" not in dumped
    assert REDACTED in result.data["annotations"]["note"]


def test_secret_values_in_logs_and_events_are_redacted(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod(
        "prod",
        "api-1",
        logs="connecting with password=hunter2\nAuthorization: Bearer abcdefghijkl123",
    )
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="api-1",
        reason="Failed",
        message="env API_TOKEN=sk-abcdefghijklmnopqrstuv rejected",
        type="Warning",
    )
    backend = backend_on(fake_k8s)
    logs = backend.execute(op(operation="pod_logs", namespace="prod", name="api-1"))
    events = backend.execute(op(operation="list_events", namespace="prod"))
    for result in (logs, events):
        dumped = result.model_dump_json()
        assert "hunter2" not in dumped and "abcdefghijkl123" not in dumped
        assert "sk-abcdefghijklmnopqrstuv" not in dumped
        assert REDACTED in dumped


def test_not_found_names_the_object_and_hints(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_namespace("prod")
    backend = backend_on(fake_k8s)
    pod = backend.execute(op(operation="describe_pod", namespace="prod", name="ghost"))
    assert pod.error_kind == ErrorKind.NOT_FOUND and pod.error == "pod prod/ghost not found"
    assert pod.hint == "check the name with `list pods -n prod`"
    logs = backend.execute(op(operation="pod_logs", namespace="prod", name="ghost"))
    assert logs.error_kind == ErrorKind.NOT_FOUND
    assert logs.call == "GET /api/v1/namespaces/prod/pods/ghost/log?tailLines=100"
    assert len(fake_k8s.calls("GET", "/pods/ghost/log")) == 1  # 404 is never retried


def test_known_names_and_check(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_deployment("prod", "web")
    fake_k8s.add_deployment("prod", "api")
    fake_k8s.add_pod("staging", "api-7f9c")
    backend = backend_on(fake_k8s)
    assert backend.known_names("deployments", namespace="prod") == ["api", "web"]
    assert backend.known_names("deploy") == ["api", "web"]
    assert backend.known_names("pods", namespace="staging") == ["api-7f9c"]
    assert backend.known_names("namespaces") == ["prod", "staging"]
    assert backend.known_names("widgets") == []
    assert backend.check() is None


def test_check_reports_an_unreachable_api(fake_k8s: FakeK8s) -> None:
    backend = backend_on(fake_k8s, kube_timeout_seconds=1.0)
    fake_k8s.stop()
    reason = backend.check()
    assert reason is not None and "Kubernetes API" in reason and "\n" not in reason
    assert backend.known_names("pods", namespace="prod") == []


def test_disabled_backend_is_not_configured(fake_k8s: FakeK8s) -> None:
    backend = backend_on(fake_k8s, kube_disabled=True)
    result = backend.execute(op(operation="list_pods", namespace="prod"))
    assert result.error_kind == ErrorKind.NOT_CONFIGURED
    assert backend.check() == "Kubernetes backend disabled (OPSBOT_KUBE_DISABLED)"
    assert fake_k8s.requests == []


def test_long_tables_are_cut_at_the_head_with_a_marker(fake_k8s: FakeK8s) -> None:
    for i in range(60):
        fake_k8s.add_pod("prod", f"web-{i:03d}")
    result = backend_on(fake_k8s, max_output_chars=300).execute(
        op(operation="list_pods", namespace="prod")
    )
    text = result.text or ""
    assert result.truncated and text.startswith("NAME") and "web-000" in text
    assert "web-059" not in text and "[truncated:" in text.splitlines()[-1]
    assert result.data["count"] == 60  # the structured data stays complete


def test_previous_log_of_a_container_that_never_restarted(fake_k8s: FakeK8s) -> None:
    fake_k8s.add_pod("prod", "api-1", logs="up")
    result = backend_on(fake_k8s).execute(
        op(operation="pod_logs", namespace="prod", name="api-1", previous=True)
    )
    assert result.error_kind == ErrorKind.INVALID
    assert "previous terminated container" in (result.error or "")
    assert result.hint and "drop --previous" in result.hint
