"""The reports YAML: schedules (cron, time zone, channel, scope, minimum severity) and the
thresholds. Unknown keys are errors, so a typo never silently disables a report.

    grace: 30m                      # a run missed while the bot was down is posted if this recent
    thresholds: {pending_after: 10m, disk_percent: 85}
    schedules:
      - name: prod-morning
        cron: "0 8 * * 1-5"
        timezone: Europe/Berlin
        channel: C0123OPS             # a Slack channel id, or a Matrix room id !abc:example.org
        scope: {contexts: [prod], namespaces: [web, api], docker_hosts: [edge-1]}
        min_severity: warning
        only_when_unhealthy: false
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.reports.models import Severity
from bot.reports.scope import ReportScope, Seconds, Thresholds


class ReportsConfigError(ValueError):
    """The reports file cannot be used; the message says where and how to fix it."""


def target_platform(channel: str) -> str:
    """Where a report goes: Matrix room ids are `!opaque:server`; anything else is Slack."""
    return "matrix" if channel.startswith("!") else "slack"


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    cron: str = Field(description='five-field cron expression, e.g. "0 8 * * 1-5"')
    timezone: str = "UTC"
    channel: str = Field(min_length=1)
    scope: ReportScope = Field(default_factory=ReportScope)
    min_severity: Severity = Severity.WARNING
    only_when_unhealthy: bool = False
    grace: Seconds | None = Field(default=None, description="overrides the file's grace")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a five-field cron expression (minute hour day month weekday), "
                'e.g. "0 8 * * 1-5"'
            )
        return value

    @field_validator("channel")
    @classmethod
    def _valid_channel(cls, value: str) -> str:
        if value.startswith("#") and ":" in value:
            raise ValueError(
                f"{value!r} is a Matrix room alias; name the room by its id (!abc:example.org, "
                "in Element: Room settings > Advanced), which never changes"
            )
        if value.startswith("!") and (len(value) < 2 or value.endswith(":") or " " in value):
            raise ValueError(
                f"{value!r} is not a Matrix room id; it looks like !abc:example.org (or, in "
                "room version 12, !<43 characters>)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"{value!r} is not a known time zone; use an IANA name like Europe/Berlin or UTC"
            ) from err
        return value

    def latest_run(self, now: datetime) -> datetime:
        """The most recent scheduled time at or before `now` (aware, in UTC)."""
        tz = ZoneInfo(self.timezone)
        local = now.astimezone(tz) + timedelta(seconds=1)
        previous: datetime = croniter(self.cron, local.replace(microsecond=0)).get_prev(datetime)
        return previous.astimezone(ZoneInfo("UTC"))


class ReportsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace: Seconds = Field(default=1800, description="how late a missed run may still be posted")
    thresholds: Thresholds = Field(default_factory=Thresholds)
    schedules: list[Schedule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> ReportsConfig:
        names = [s.name for s in self.schedules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"schedule names must be unique; repeated: {', '.join(dupes)}")
        return self

    def grace_of(self, schedule: Schedule) -> float:
        return schedule.grace if schedule.grace is not None else self.grace


def parse_reports_config(text: str, *, source: str = "<reports config>") -> ReportsConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ReportsConfigError(f"{source}: not valid YAML: {err}") from err
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ReportsConfigError(f"{source}: expected a mapping with `schedules:` at the top")
    try:
        return ReportsConfig.model_validate(raw)
    except ValidationError as err:
        problems = "\n".join(
            f"  - {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ReportsConfigError(f"{source}: invalid reports config:\n{problems}") from err


def load_reports_config(path: Path | None) -> ReportsConfig:
    """The file at `path` (OPSBOT_REPORTS_CONFIG); no path means defaults and no schedules."""
    if path is None:
        return ReportsConfig()
    try:
        text = path.read_text()
    except OSError as err:
        raise ReportsConfigError(
            f"cannot read the reports config {path}: {err.strerror or err}; "
            "fix OPSBOT_REPORTS_CONFIG or unset it"
        ) from err
    return parse_reports_config(text, source=str(path))
