"""Scheduled health reports to a Matrix room: a schedule names the room by id, the process's
scheduler posts through the Matrix front end's report renderer to the real Synapse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.matrix.bot import MatrixReportPoster, start_beside
from bot.adapters.report_targets import ReportPosters
from bot.reports.models import Finding, HealthReport, Severity
from bot.reports.scheduler import ReportScheduler, RunStatus
from bot.reports.schedules import ReportsConfigError, parse_reports_config
from bot.reports.scope import ReportScope
from bot.wiring import build
from tests.fixtures.services import _wait_until
from tests.matrix.conftest import MatrixWorld

FINDING = Finding(
    severity=Severity.CRITICAL,
    source="kubernetes",
    scope="prod/web",
    kind="pod_crashloop",
    subject="pod/api-1",
    title="<b>api-1</b> is crash-looping @room",
    next_step="read its logs",
    commands=["logs pod/api-1 -n web"],
)


def _report(scope: ReportScope) -> HealthReport:
    return HealthReport(scope="prod", findings=[FINDING])


def test_a_scheduled_report_is_posted_to_a_matrix_room(world: MatrixWorld) -> None:
    wiring = build(world.settings)
    runner = start_beside(world.settings, wiring)
    world.bots.append(runner)
    assert _wait_until(lambda: runner.bot.state.since() is not None, timeout=60), runner.error
    config = parse_reports_config(
        f"""
schedules:
  - name: mx-morning
    cron: "* * * * *"
    channel: "{world.room}"
    min_severity: info
  - name: to-slack
    cron: "* * * * *"
    channel: C0OPS
"""
    )
    scheduler = ReportScheduler(
        config=config,
        redis_client=wiring.redis_client,
        post=ReportPosters({"matrix": MatrixReportPoster(runner)}),
        build=_report,
        prefix=world.settings.key_prefix,
    )
    outcomes = {o.schedule: o for o in scheduler.run_due(datetime.now(UTC))}

    assert outcomes["mx-morning"].status is RunStatus.POSTED
    # a Slack target in a process that serves Matrix only: that run fails, saying why
    assert outcomes["to-slack"].status is RunStatus.FAILED
    assert "serves matrix only" in outcomes["to-slack"].detail
    posted = world.people.alice.wait_for(
        world.room,
        lambda e: (
            e["sender"] == world.people.bot.user_id
            and "Health report" in e["content"].get("body", "")
        ),
        what="the report",
    )
    content = posted["content"]
    assert content["msgtype"] == "m.notice"
    assert "<table>" in content["formatted_body"]
    assert "&lt;b&gt;api-1&lt;/b&gt; is crash-looping" in content["formatted_body"]
    assert "<b>api-1</b>" not in content["formatted_body"]  # finding text is escaped
    assert "<code>logs pod/api-1 -n web</code>" in content["formatted_body"]
    assert "api-1" in content["body"] and "<" not in content["body"].split("\n")[0]


@pytest.mark.parametrize(
    ("channel", "complaint"),
    [
        ("#ops:example.org", "room alias; name the room by its id"),
        ("!ops room", "is not a Matrix room id"),
    ],
)
def test_a_bad_matrix_report_target_is_refused_at_load(channel: str, complaint: str) -> None:
    with pytest.raises(ReportsConfigError, match=complaint):
        parse_reports_config(f'schedules: [{{name: a, cron: "0 8 * * *", channel: "{channel}"}}]')
