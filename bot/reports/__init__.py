"""Health reports: collectors, scoring, trend, schedules and the scheduler (Slack rendering
lives in bot/adapters/slack/report_render.py)."""

from bot.reports.builder import ReportBuilder
from bot.reports.models import Finding, HealthReport, Severity
from bot.reports.scheduler import RunOutcome, RunStatus, SchedulerHandle, start_scheduler
from bot.reports.schedules import ReportsConfig, ReportsConfigError, Schedule, load_reports_config
from bot.reports.scope import ReportScope, Thresholds

__all__ = [
    "Finding",
    "HealthReport",
    "ReportBuilder",
    "ReportScope",
    "ReportsConfig",
    "ReportsConfigError",
    "RunOutcome",
    "RunStatus",
    "Schedule",
    "SchedulerHandle",
    "Severity",
    "Thresholds",
    "load_reports_config",
    "start_scheduler",
]
