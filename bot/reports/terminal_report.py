"""`opsbot report [--json]`: one health report in the terminal.

Exit codes: 0 nothing critical, 1 critical findings, 2 the reports config is unusable.
"""

from __future__ import annotations

import json
from typing import TextIO

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.models import Severity
from bot.reports.schedules import ReportsConfigError, load_reports_config
from bot.reports.scope import ReportScope
from bot.reports.text_render import render_text


def default_scope(settings: Settings) -> ReportScope:
    """Everything the settings configure: the default context, every Docker host, the host."""
    return ReportScope(kubernetes=not settings.kube_disabled, docker=not settings.docker_disabled)


def report_command(settings: Settings, *, out: TextIO, as_json: bool) -> int:
    try:
        config = load_reports_config(settings.reports_config)
    except ReportsConfigError as err:
        out.write(f"error: {err}\n")
        return 2
    builder = ReportBuilder(settings=settings, thresholds=config.thresholds)
    try:
        report = builder.build(default_scope(settings))
    finally:
        builder.close()
    if as_json:
        out.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        out.write(render_text(report) + "\n")
    return 1 if report.counts()[Severity.CRITICAL] else 0
