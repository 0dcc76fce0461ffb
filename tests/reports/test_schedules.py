"""The reports YAML: the example file loads; mistakes are clear errors; run times honour
the schedule's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.reports.models import Severity
from bot.reports.schedules import (
    ReportsConfigError,
    Schedule,
    load_reports_config,
    parse_reports_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy/reports.example.yaml"


def test_example_config_loads():
    config = load_reports_config(EXAMPLE)

    assert [s.name for s in config.schedules] == ["morning", "prod-hourly", "edge-daily"]
    assert config.grace == 1800
    assert config.thresholds.pending_after == 600
    assert config.thresholds.disk_percent == 85
    prod = config.schedules[1]
    assert prod.scope.contexts == ["prod"] and prod.scope.namespaces == ["web", "api"]
    assert prod.only_when_unhealthy and prod.min_severity == Severity.CRITICAL
    assert config.grace_of(prod) == 600
    assert config.schedules[2].scope.kubernetes is False


def test_no_config_means_defaults_and_no_schedules():
    config = load_reports_config(None)
    assert config.schedules == [] and config.thresholds.restart_count == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("schedules:\n - {name: a, cron: '0 8 * *', channel: C1}", "five-field cron"),
        ("schedules:\n - {name: a, cron: '0 25 * * *', channel: C1}", "five-field cron"),
        (
            "schedules:\n - {name: a, cron: '0 8 * * *', channel: C1, timezone: Mars/Base}",
            "not a known time zone",
        ),
        ("schedules:\n - {name: a, cron: '0 8 * * *', chanel: C1}", "chanel"),
        (
            "schedules:\n - {name: a, cron: '0 8 * * *', channel: C1}\n"
            " - {name: a, cron: '0 9 * * *', channel: C2}",
            "repeated: a",
        ),
        ("grace: soon", "not a duration"),
        ("thresholds: {disk_percnt: 80}", "disk_percnt"),
        ("schedules: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
    ],
)
def test_mistakes_are_clear_errors(text: str, expected: str):
    with pytest.raises(ReportsConfigError) as err:
        parse_reports_config(text, source="reports.yaml")
    assert expected in str(err.value)
    assert str(err.value).startswith("reports.yaml")


def test_unreadable_file_names_the_setting(tmp_path: Path):
    with pytest.raises(ReportsConfigError, match="OPSBOT_REPORTS_CONFIG"):
        load_reports_config(tmp_path / "missing.yaml")


def test_latest_run_uses_the_schedule_time_zone_across_dst():
    berlin = Schedule(name="m", cron="0 8 * * *", timezone="Europe/Berlin", channel="C")
    # winter: 08:00 Berlin is 07:00 UTC; summer: 06:00 UTC
    assert berlin.latest_run(datetime(2026, 1, 15, 7, 0, tzinfo=UTC)) == datetime(
        2026, 1, 15, 7, 0, tzinfo=UTC
    )
    assert berlin.latest_run(datetime(2026, 1, 15, 6, 59, 59, tzinfo=UTC)) == datetime(
        2026, 1, 14, 7, 0, tzinfo=UTC
    )
    assert berlin.latest_run(datetime(2026, 7, 15, 6, 30, tzinfo=UTC)) == datetime(
        2026, 7, 15, 6, 0, tzinfo=UTC
    )
