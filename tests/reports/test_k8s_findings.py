"""Every Kubernetes finding type, read through the real kubernetes client from the Kubernetes
API test server (nodes are covered against the real API server in test_k8s_real.py)."""

from __future__ import annotations

from typing import Any

from bot.reports.models import Severity
from tests.fakes.k8s_state import now_iso
from tests.fixtures.k8s_fake import FakeK8s
from tests.fixtures.reports import (
    K8S_ONLY,
    assert_commands_parse,
    by_kind,
    k8s_builder,
    set_deployment_status,
    set_pod_status,
)


def _waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"waiting": {"reason": reason, "message": message}}


def test_crashloop_pod_of_a_deployment_suggests_previous_logs_and_rollback(fake_k8s: FakeK8s):
    fake_k8s.add_pod(
        "prod",
        "api-5d8f7c9b6-x2x9z",
        restarts=7,
        waiting_reason="CrashLoopBackOff",
        owner=("ReplicaSet", "api-5d8f7c9b6"),
        labels={"app": "api", "pod-template-hash": "5d8f7c9b6"},
    )
    fake_k8s.add_pod("prod", "healthy-1")

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    assert [f.kind for f in report.findings] == ["pod_crashloop"]
    finding = report.findings[0]
    assert finding.severity == Severity.CRITICAL
    assert finding.subject == "pod/api-5d8f7c9b6-x2x9z"
    assert finding.scope == "default/prod"
    assert "7 restarts" in finding.title
    assert finding.commands == [
        "logs pod/api-5d8f7c9b6-x2x9z -n prod -p",
        "describe pod/api-5d8f7c9b6-x2x9z -n prod",
        "rollback deploy/api -n prod",
    ]
    assert "roll the deployment back" in finding.next_step
    assert report.counters["pods"] == 2
    assert_commands_parse(report)


def test_image_pull_and_config_errors_are_critical(fake_k8s: FakeK8s):
    fake_k8s.add_pod("prod", "img-1", phase="Pending", waiting_reason="ImagePullBackOff")
    fake_k8s.add_pod("prod", "img-2", phase="Pending", waiting_reason="ErrImagePull")
    fake_k8s.add_pod("prod", "cfg-1", phase="Pending", waiting_reason="CreateContainerConfigError")
    set_pod_status(
        fake_k8s,
        "prod",
        "img-1",
        containerStatuses=[
            {
                "name": "app",
                "image": "registry.example/api:9.9",
                "restartCount": 0,
                "ready": False,
                "state": _waiting("ImagePullBackOff", 'Back-off pulling image "api:9.9"'),
            }
        ],
    )

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    pulls = by_kind(report, "pod_image_pull")
    assert set(pulls) == {"pod/img-1", "pod/img-2"}
    assert all(f.severity == Severity.CRITICAL for f in pulls.values())
    assert "registry.example/api:9.9" in pulls["pod/img-1"].detail
    assert "Back-off pulling image" in pulls["pod/img-1"].detail
    assert pulls["pod/img-1"].commands == ["describe pod/img-1 -n prod"]
    assert set(by_kind(report, "pod_config_error")) == {"pod/cfg-1"}
    assert_commands_parse(report)


def test_error_pods_failed_phase_or_container_terminated_with_error(fake_k8s: FakeK8s):
    fake_k8s.add_pod("jobs", "migrate-1", phase="Failed")
    set_pod_status(fake_k8s, "jobs", "migrate-1", reason="Evicted", message="low on memory")
    fake_k8s.add_pod("jobs", "worker-1")
    set_pod_status(
        fake_k8s,
        "jobs",
        "worker-1",
        containerStatuses=[
            {
                "name": "app",
                "restartCount": 0,
                "ready": False,
                "state": {"terminated": {"reason": "Error", "exitCode": 2}},
            }
        ],
    )
    fake_k8s.add_pod("jobs", "done-1", phase="Succeeded")

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    errors = by_kind(report, "pod_error")
    assert set(errors) == {"pod/migrate-1", "pod/worker-1"}
    assert errors["pod/migrate-1"].title == "Pod migrate-1 failed (Evicted)"
    assert "low on memory" in errors["pod/migrate-1"].detail
    assert "exit code 2" in errors["pod/worker-1"].detail
    assert (
        errors["pod/worker-1"].commands[0] == 'logs pod/worker-1 -n "jobs"'
    )  # a resource word: quoted
    assert all(f.severity == Severity.WARNING for f in errors.values())
    # Succeeded pods are filtered out by the API server (field selector), never seen
    assert report.counters["pods"] == 2
    assert_commands_parse(report)


def test_pending_only_after_the_threshold(fake_k8s: FakeK8s):
    old = fake_k8s.add_pod("prod", "stuck-1", phase="Pending")
    with fake_k8s.store.lock:
        old["metadata"]["creationTimestamp"] = now_iso(3600)
        old["status"]["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "message": "0/3 nodes are available: 3 Insufficient cpu.",
            }
        ]
    fake_k8s.add_pod("prod", "new-1", phase="Pending")

    report = k8s_builder(fake_k8s, pending_after=600).build(K8S_ONLY)

    pending = by_kind(report, "pod_pending")
    assert list(pending) == ["pod/stuck-1"]
    assert pending["pod/stuck-1"].title == "Pod stuck-1 has been Pending for 60m"
    assert "Insufficient cpu" in pending["pod/stuck-1"].detail
    assert pending["pod/stuck-1"].commands == [
        "describe pod/stuck-1 -n prod",
        "get events -n prod --warnings",
    ]
    assert_commands_parse(report)


def test_restart_counts_over_the_period(fake_k8s: FakeK8s):
    fake_k8s.add_pod("prod", "flaky-1", restarts=9)
    fake_k8s.add_pod("prod", "calm-1", restarts=2)
    fake_k8s.add_pod("prod", "old-restarts-1", restarts=40)
    with fake_k8s.store.lock:
        pod = fake_k8s.store.get("pods", "prod", "old-restarts-1")
        assert pod is not None
        pod["status"]["containerStatuses"][0]["lastState"] = {
            "terminated": {"reason": "OOMKilled", "finishedAt": now_iso(3 * 86400)}
        }

    report = k8s_builder(fake_k8s, restart_count=5, period=86400).build(K8S_ONLY)

    restarts = by_kind(report, "pod_restarts")
    assert list(restarts) == ["pod/flaky-1"]
    assert restarts["pod/flaky-1"].title == "Pod flaky-1 restarted 9 times"
    assert restarts["pod/flaky-1"].commands[0] == "logs pod/flaky-1 -n prod -p"
    assert_commands_parse(report)


def test_deployments_unavailable_and_stalled_rollout(fake_k8s: FakeK8s):
    for name in ("web", "api", "down", "fine"):
        fake_k8s.add_deployment("prod", name, replicas=3)
    set_deployment_status(fake_k8s, "prod", "web", availableReplicas=1, unavailableReplicas=2)
    set_deployment_status(fake_k8s, "prod", "down", availableReplicas=0, unavailableReplicas=3)
    set_deployment_status(
        fake_k8s,
        "prod",
        "api",
        availableReplicas=2,
        unavailableReplicas=1,
        conditions=[
            {"type": "Available", "status": "True"},
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "api-7c9" has timed out progressing.',
            },
        ],
    )

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    stalled = by_kind(report, "deployment_stalled")
    assert list(stalled) == ["deploy/api"]
    assert stalled["deploy/api"].severity == Severity.CRITICAL
    assert stalled["deploy/api"].title == "Rollout of api is stalled (ProgressDeadlineExceeded)"
    assert stalled["deploy/api"].command == "rollback deploy/api -n prod"
    unavailable = by_kind(report, "deployment_unavailable")
    assert set(unavailable) == {"deploy/web", "deploy/down"}
    assert unavailable["deploy/web"].severity == Severity.WARNING
    assert unavailable["deploy/web"].title == "Deployment web has 2 of 3 replicas unavailable"
    assert unavailable["deploy/down"].severity == Severity.CRITICAL
    assert report.counters["deployments"] == 4
    # sorted by severity: the two critical findings come first
    assert [f.severity for f in report.findings] == [
        Severity.CRITICAL,
        Severity.CRITICAL,
        Severity.WARNING,
    ]
    assert_commands_parse(report)


def test_recent_warning_events_are_grouped_by_reason_and_kind(fake_k8s: FakeK8s):
    for i in range(3):
        fake_k8s.add_event(
            "prod",
            object_kind="Pod",
            object_name=f"api-{i}",
            reason="BackOff",
            message="Back-off restarting failed container; password=hunter2",
            type="Warning",
            count=4,
        )
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="web-1",
        reason="FailedScheduling",
        message="0/1 nodes are available",
        type="Warning",
    )
    fake_k8s.add_event(
        "prod", object_kind="Pod", object_name="api-0", reason="Pulled", message="ok"
    )
    fake_k8s.add_event(
        "prod",
        object_kind="Pod",
        object_name="old-1",
        reason="OldNews",
        message="long ago",
        type="Warning",
        age_seconds=7200,
    )

    report = k8s_builder(fake_k8s, event_window=3600, event_warning_count=10).build(K8S_ONLY)

    events = by_kind(report, "warning_events")
    assert set(events) == {"Pod:BackOff", "Pod:FailedScheduling"}
    backoff = events["Pod:BackOff"]
    assert backoff.severity == Severity.WARNING  # 12 occurrences >= 10
    assert backoff.title == "12 BackOff warnings on 3 Pods in the last 60m"
    assert "api-0, api-1, api-2" in backoff.detail
    assert "hunter2" not in backoff.detail and "[REDACTED]" in backoff.detail
    assert backoff.commands == ["get events -n prod --warnings"]
    assert events["Pod:FailedScheduling"].severity == Severity.INFO
    # the server filtered to Warning events (the Normal "Pulled" event never came back)
    event_calls = fake_k8s.calls("GET", "/events")
    assert event_calls and all(c.query.get("fieldSelector") == "type=Warning" for c in event_calls)
    assert report.counters["warning_events_listed"] == 5
    assert_commands_parse(report)


def test_lists_are_paged_with_limit_continue_and_server_side_selectors(fake_k8s: FakeK8s):
    for i in range(25):
        fake_k8s.add_pod("prod", f"p-{i:02d}", restarts=10 if i == 24 else 0)
    fake_k8s.add_pod("prod", "finished", phase="Succeeded")

    report = k8s_builder(fake_k8s, page_size=10).build(K8S_ONLY)

    pod_calls = fake_k8s.calls("GET", "/pods")
    assert [c.query.get("limit") for c in pod_calls] == ["10", "10", "10"]
    assert "continue" not in pod_calls[0].query
    assert all(c.query.get("continue") for c in pod_calls[1:])
    assert all(c.query.get("fieldSelector") == "status.phase!=Succeeded" for c in pod_calls)
    assert report.counters["pods"] == 25
    assert list(by_kind(report, "pod_restarts")) == ["pod/p-24"]  # found on the last page


def test_namespace_scope_reads_only_those_namespaces(fake_k8s: FakeK8s):
    fake_k8s.add_pod("prod", "a-1", waiting_reason="CrashLoopBackOff")
    fake_k8s.add_pod("staging", "b-1", waiting_reason="CrashLoopBackOff")
    scope = K8S_ONLY.model_copy(update={"namespaces": ["staging"]})

    report = k8s_builder(fake_k8s).build(scope)

    assert [f.subject for f in report.findings] == ["pod/b-1"]
    assert "staging" in report.scope
    paths = {c.path for c in fake_k8s.calls("GET") if "/pods" in c.path}
    assert paths == {"/api/v1/namespaces/staging/pods"}


def test_findings_beyond_the_cap_are_counted_not_kept(fake_k8s: FakeK8s):
    for i in range(10):
        fake_k8s.add_pod("prod", f"crash-{i}", waiting_reason="CrashLoopBackOff")

    report = k8s_builder(fake_k8s, max_findings_per_kind=3).build(K8S_ONLY)

    assert len(report.findings) == 3
    assert [(o.kind, o.severity, o.count) for o in report.omitted] == [
        ("pod_crashloop", Severity.CRITICAL, 7)
    ]
    assert report.counts()[Severity.CRITICAL] == 10
    assert report.counters["pod_crashloop"] == 10
    assert report.score == 0  # 10 critical findings cost 150 points


def test_unreadable_parts_become_notes_and_the_rest_is_reported(fake_k8s: FakeK8s):
    """The bot's own identity may only read pods: the report says what it could not read."""
    fake_k8s.grant(user="opsbot", verbs=["list"], resources=["pods"])
    fake_k8s.add_pod("prod", "a-1", waiting_reason="CrashLoopBackOff")

    report = k8s_builder(fake_k8s, context="opsbot").build(K8S_ONLY)

    assert [f.subject for f in report.findings] == ["pod/a-1"]
    notes = "\n".join(report.notes)
    assert "could not read deployments" in notes and "forbidden" in notes.lower()
    assert "could not read events" in notes
    assert "could not read nodes" in notes


def test_unreachable_api_is_a_critical_finding_and_stops_early(fake_k8s: FakeK8s):
    fake_k8s.fail_next("/api/v1/nodes", status=503, times=10)
    fake_k8s.add_pod("prod", "a-1", waiting_reason="CrashLoopBackOff")

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    assert [(f.kind, f.severity) for f in report.findings] == [
        ("source_unreachable", Severity.CRITICAL)
    ]
    assert report.findings[0].title == "Kubernetes API of default is unreachable"
    assert "503" in report.findings[0].detail
    assert fake_k8s.calls("GET", "/pods") == []  # no point retrying every list
    assert not report.healthy(min_severity=Severity.CRITICAL)


def test_healthy_cluster_scores_100(fake_k8s: FakeK8s):
    fake_k8s.add_deployment("prod", "web", replicas=2)
    fake_k8s.add_pod("prod", "web-1")

    report = k8s_builder(fake_k8s).build(K8S_ONLY)

    assert report.findings == []
    assert report.score == 100
    assert report.healthy()
