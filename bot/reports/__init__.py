"""Health reports: collectors, scoring, trend, schedules, the scheduler and Slack rendering."""

from bot.reports.builder import ReportBuilder
from bot.reports.models import Finding, HealthReport, Severity
from bot.reports.scheduler import RunOutcome, RunStatus, SchedulerHandle, start_scheduler
from bot.reports.schedules import ReportsConfig, ReportsConfigError, Schedule, load_reports_config
from bot.reports.scope import ReportScope, Thresholds
from bot.reports.slack_render import post_report_to_slack

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
    "post_report_to_slack",
    "start_scheduler",
]
