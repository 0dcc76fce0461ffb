"""Trend against the previous report, kept in a real Redis: new, resolved, persisting."""

from __future__ import annotations

import uuid

import pytest
import redis

from bot.reports.models import Finding, HealthReport, Severity
from bot.reports.trend import apply_trend, trend_key
from tests.fixtures.k8s_fake import FakeK8s
from tests.fixtures.reports import K8S_ONLY, k8s_builder


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own: the session redis may be shared with other runs."""
    return f"t-{uuid.uuid4().hex[:8]}"


def _finding(subject: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(
        severity=severity,
        source="kubernetes",
        scope="default/prod",
        kind="pod_restarts",
        subject=subject,
        title=f"{subject} restarts",
        next_step="look",
    )


def _report(*subjects: str) -> HealthReport:
    return HealthReport(scope="test", findings=[_finding(s) for s in subjects])


def test_first_report_has_everything_new_and_no_previous(redis_client: redis.Redis, prefix: str):
    report = apply_trend(redis_client, _report("pod/a"), prefix=prefix, scope_key="s1")

    assert report.trend is not None
    assert report.trend.previous_at is None
    assert report.trend.new == ["kubernetes|default/prod|pod_restarts|pod/a"]
    assert redis_client.ttl(trend_key(prefix=prefix, scope_key="s1")) > 0


def test_second_report_says_new_resolved_and_persisting(redis_client: redis.Redis, prefix: str):
    first = apply_trend(redis_client, _report("pod/a", "pod/b"), prefix=prefix, scope_key="s1")

    second = apply_trend(redis_client, _report("pod/b", "pod/c"), prefix=prefix, scope_key="s1")

    trend = second.trend
    assert trend is not None
    assert trend.previous_at == first.generated_at
    assert trend.previous_score == 90
    assert [k.rsplit("|", 1)[1] for k in trend.new] == ["pod/c"]
    assert [k.rsplit("|", 1)[1] for k in trend.persisting] == ["pod/b"]
    assert [(r.title, r.severity) for r in trend.resolved] == [("pod/a restarts", Severity.WARNING)]


def test_scopes_keep_separate_histories(redis_client: redis.Redis, prefix: str):
    apply_trend(redis_client, _report("pod/a"), prefix=prefix, scope_key="prod")

    other = apply_trend(redis_client, _report("pod/z"), prefix=prefix, scope_key="staging")

    assert other.trend is not None and other.trend.previous_at is None


def test_fixed_pod_is_resolved_in_the_next_real_report(
    fake_k8s: FakeK8s, redis_client: redis.Redis, prefix: str
):
    fake_k8s.add_pod("prod", "api-1", waiting_reason="CrashLoopBackOff")
    fake_k8s.add_pod("prod", "web-1", waiting_reason="CrashLoopBackOff")
    builder = k8s_builder(fake_k8s)
    apply_trend(redis_client, builder.build(K8S_ONLY), prefix=prefix, scope_key="k")
    with fake_k8s.store.lock:
        del fake_k8s.store.objects["pods"][("prod", "api-1")]
    fake_k8s.add_pod("prod", "db-1", phase="Failed")

    report = apply_trend(redis_client, builder.build(K8S_ONLY), prefix=prefix, scope_key="k")

    assert report.trend is not None
    assert [r.title for r in report.trend.resolved] == [
        "Pod api-1 is in CrashLoopBackOff (0 restarts)"
    ]
    assert report.trend.persisting == ["kubernetes|default/prod|pod_crashloop|pod/web-1"]
    assert report.trend.new == ["kubernetes|default/prod|pod_error|pod/db-1"]
