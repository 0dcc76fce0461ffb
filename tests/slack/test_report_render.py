"""The report in Slack, through the real slack_sdk WebClient against the fake Slack Web API:
a compact summary (score, counts by severity, top findings), details in the thread, plain-text
fallbacks, escaped cluster text; and a schedule from the example config posting a report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis
from slack_sdk import WebClient

from bot.adapters.slack.report_render import post_report_to_slack
from bot.reports.models import Finding, HealthReport, Severity
from bot.reports.scheduler import ReportScheduler, RunStatus
from bot.reports.schedules import load_reports_config
from bot.reports.trend import apply_trend
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.k8s_fake import FakeK8s
from tests.fixtures.reports import K8S_ONLY, k8s_builder
from tests.fixtures.slack_fake import text_of

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy/reports.example.yaml"


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def _finding(i: int, severity: Severity, **extra: str) -> Finding:
    values = {
        "severity": severity,
        "source": "kubernetes",
        "scope": "default/prod",
        "kind": "pod_crashloop",
        "subject": f"pod/api-{i}",
        "title": f"Pod api-{i} is in CrashLoopBackOff",
        "next_step": "Read the crashed container's last logs.",
        "commands": [f"logs pod/api-{i} -n prod --previous"],
    }
    values.update(extra)
    return Finding.model_validate(values)


def test_summary_and_thread_details(fake_slack: FakeSlack):
    findings = [_finding(i, Severity.CRITICAL) for i in range(2)] + [
        _finding(
            9,
            Severity.WARNING,
            kind="warning_events",
            subject="Pod:BackOff",
            title="12 BackOff warnings",
            detail="<!channel> see <https://evil.example|here> & more",
        )
    ]
    report = HealthReport(scope="Kubernetes default context (all namespaces)", findings=findings)

    ts = post_report_to_slack(_client(fake_slack), "C0OPS", report)

    summary = fake_slack.message("C0OPS", ts)
    assert summary is not None and summary.thread_ts is None
    assert summary.text.startswith("Health report: score 65/100 (2 critical, 1 warning, 0 info)")
    blocks = {b.get("block_id"): b for b in summary.blocks}
    assert blocks["score"]["text"]["text"] == "🔴 Health report: 65/100"
    assert "🔴 *2* critical  🟠 *1* warning  🔵 *0* info" in blocks["counts"]["text"]["text"]
    top = blocks["top"]["text"]["text"]
    assert top.splitlines()[0] == (
        "🔴 *Pod api-0 is in CrashLoopBackOff* · default/prod → `logs pod/api-0 -n prod --previous`"
    )
    assert "details in the thread" in blocks["footer"]["elements"][0]["text"]

    thread = fake_slack.thread("C0OPS", ts)
    assert len(thread) == 1
    details = text_of(thread[0])
    assert "*Next:* Read the crashed container's last logs." in details
    assert "`logs pod/api-1 -n prod --previous`" in details
    # untrusted cluster text cannot mention the channel or forge a link
    assert "<!channel>" not in details and "&lt;!channel&gt;" in details
    assert "<https://evil" not in details
    assert "[CRITICAL] Pod api-0 is in CrashLoopBackOff" in thread[0].text  # fallback


def test_many_findings_are_split_over_thread_messages_and_omitted_are_counted(
    fake_slack: FakeSlack,
):
    from bot.reports.models import Omitted

    report = HealthReport(
        scope="prod",
        findings=[_finding(i, Severity.WARNING) for i in range(40)],
        omitted=[Omitted(kind="pod_crashloop", severity=Severity.WARNING, count=60)],
        notes=["Docker edge: cannot connect"],
    )

    ts = post_report_to_slack(_client(fake_slack), "C0OPS", report)

    summary = fake_slack.message("C0OPS", ts)
    assert summary is not None
    assert "_…and 95 more in the thread_" in text_of(summary)
    thread = fake_slack.thread("C0OPS", ts)
    assert len(thread) == 4  # 15 + 15 + 10 findings, then omitted and notes
    assert all(len(m.blocks) <= 50 for m in thread)
    assert "60 more warning pod_crashloop" in thread[-1].text
    assert "Docker edge: cannot connect" in thread[-1].text


def test_healthy_report_is_one_all_clear_message(fake_slack: FakeSlack):
    ts = post_report_to_slack(_client(fake_slack), "C0OPS", HealthReport(scope="prod"))

    summary = fake_slack.message("C0OPS", ts)
    assert summary is not None
    assert "All clear" in summary.text
    assert "✅ Health report: 100/100" in text_of(summary)
    assert fake_slack.thread("C0OPS", ts) == []


def test_trend_line_and_resolved_findings(fake_slack: FakeSlack, redis_client: redis.Redis):
    prefix = f"t-{uuid.uuid4().hex[:8]}"  # the session redis may be shared with other runs
    apply_trend(
        redis_client,
        HealthReport(scope="p", findings=[_finding(1, Severity.CRITICAL)]),
        prefix=prefix,
        scope_key="p",
    )
    report = apply_trend(
        redis_client,
        HealthReport(scope="p", findings=[_finding(2, Severity.WARNING)]),
        prefix=prefix,
        scope_key="p",
    )

    ts = post_report_to_slack(_client(fake_slack), "C0OPS", report)

    summary = fake_slack.message("C0OPS", ts)
    assert summary is not None
    trend = next(b for b in summary.blocks if b.get("block_id") == "trend")
    assert "1 new, 1 resolved, 0 persisting; score 85 -&gt; 95" in trend["elements"][0]["text"]
    assert "_(new)_" in text_of(summary)
    assert "✅ Pod api-1 is in CrashLoopBackOff" in fake_slack.thread("C0OPS", ts)[-1].text


def test_example_schedule_posts_a_report_to_its_channel(
    fake_slack: FakeSlack, fake_k8s: FakeK8s, redis_client: redis.Redis
):
    """The `morning` schedule of deploy/reports.example.yaml, at its time, posts to C0OPS."""
    fake_k8s.add_pod("prod", "api-1", restarts=3, waiting_reason="CrashLoopBackOff")
    config = load_reports_config(EXAMPLE)
    morning = next(s for s in config.schedules if s.name == "morning")
    config = config.model_copy(update={"schedules": [morning]})
    builder = k8s_builder(fake_k8s)
    client = _client(fake_slack)
    scheduler = ReportScheduler(
        config=config,
        redis_client=redis_client,
        post=lambda channel, report: post_report_to_slack(client, channel, report),
        build=lambda scope: builder.build(K8S_ONLY),
        prefix=f"e2e-{uuid.uuid4().hex[:8]}",
    )
    monday_8_berlin = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

    outcomes = scheduler.run_due(monday_8_berlin)

    assert [o.status for o in outcomes] == [RunStatus.POSTED]
    summaries = [m for m in fake_slack.messages if m.channel == "C0OPS" and m.thread_ts is None]
    assert len(summaries) == 1
    assert "Pod api-1 is in CrashLoopBackOff" in text_of(summaries[0])
    assert fake_slack.thread("C0OPS", summaries[0].ts)
