"""The policy file format: pydantic models, `extra="forbid"` everywhere.

One file (or each file of a folder) is a `PolicyFile`:

    groups:     user id -> static groups (merged with the groups chat gives a Principal)
    grants:     who may REQUEST which actions where
    denies:     what nobody (or only the listed people) may do; deny always wins
    limits:     parameter bounds per action and scope
    freezes:    change-freeze windows (weekly and/or absolute) in a time zone
    approvals:  who must approve which actions, how many, self-approval, expiry

Actions are catalog kinds, risk tiers (read, write, destructive) or '*'. Scope fields
(namespaces, contexts, hosts and their except_* counterparts) take globs; omitted means '*'.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bot.catalog import OPERATIONS
from bot.policy.patterns import (
    ANY,
    check_context_name,
    check_name_glob,
    check_namespace_glob,
    did_you_mean,
    parse_duration,
    parse_zone,
    resolve_action,
)


def _action(value: str) -> str:
    resolve_action(value)
    return value


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _unitless(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"a duration needs a unit: write '{value}m' or '{value}s', not {value}")
    return value


def _zone(value: str) -> str:
    parse_zone(value)
    return value


def _name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _subject(value: str) -> str:
    """User ids and group names are compared exactly: a pattern or stray space never matches."""
    _name(value)
    if value != value.strip():
        raise ValueError(f"{value!r} has leading or trailing whitespace, so it never matches")
    if value != ANY and ("*" in value or "?" in value):
        raise ValueError(
            f"{value!r} is not a pattern: users and groups are exact ids "
            "(only '*' alone means everyone)"
        )
    return value


def _exact_subject(value: str) -> str:
    if value == ANY:
        raise ValueError("'*' is not supported here: this list takes exact user ids or group names")
    return _subject(value)


Action = Annotated[str, AfterValidator(_action)]
NamespaceGlob = Annotated[str, AfterValidator(check_namespace_glob)]
ContextGlob = Annotated[str, AfterValidator(check_name_glob("a context name"))]
HostGlob = Annotated[str, AfterValidator(check_name_glob("a Docker host name"))]
Subject = Annotated[str, AfterValidator(_subject)]
ExactSubject = Annotated[str, AfterValidator(_exact_subject)]
Duration = Annotated[str, BeforeValidator(_unitless), AfterValidator(_duration)]
Zone = Annotated[str, AfterValidator(_zone)]
Name = Annotated[str, AfterValidator(_name)]


class _Strict(BaseModel):
    # strict: `count: true` or `count: "2"` is an error, never silently 1 or 2
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Scoped(_Strict):
    """Who a rule applies to, which actions, and where. Omitted scope fields mean everywhere."""

    name: Name | None = Field(default=None, description="shown in reasons and audit")
    users: list[Subject] = Field(default_factory=list, description="requester ids; '*' = anyone")
    groups: list[Subject] = Field(default_factory=list, description="requester groups; '*' = any")
    actions: list[Action] = Field(min_length=1)
    namespaces: list[NamespaceGlob] = Field(default_factory=lambda: [ANY], min_length=1)
    contexts: list[ContextGlob] = Field(default_factory=lambda: [ANY], min_length=1)
    hosts: list[HostGlob] = Field(default_factory=lambda: [ANY], min_length=1)
    except_namespaces: list[NamespaceGlob] = Field(default_factory=list)
    except_contexts: list[ContextGlob] = Field(default_factory=list)
    except_hosts: list[HostGlob] = Field(default_factory=list)

    def kinds(self) -> frozenset[str]:
        """Catalog kinds this rule's actions stand for."""
        out: set[str] = set()
        for action in self.actions:
            out |= resolve_action(action)
        return frozenset(out)

    def explicit_kinds(self) -> frozenset[str]:
        """Kinds named by a kind or tier (not by '*'): reads need approval only when named."""
        out: set[str] = set()
        for action in self.actions:
            if action != ANY:
                out |= resolve_action(action)
        return frozenset(out)


class Grant(Scoped):
    """Who may request these actions here. At least one of users/groups is required."""

    @model_validator(mode="after")
    def _has_subject(self) -> Grant:
        if not self.users and not self.groups:
            raise ValueError("a grant needs 'users' or 'groups' (use ['*'] for everyone)")
        return self


class Deny(Scoped):
    """Nobody (or only users/groups, if given) may do this, except exempt groups/users."""

    reason: Name
    exempt_users: list[ExactSubject] = Field(default_factory=list)
    exempt_groups: list[ExactSubject] = Field(default_factory=list)


class Limit(Scoped):
    """Integer parameter bounds, e.g. `max: {replicas: 20}`."""

    max: dict[str, int] = Field(default_factory=dict)
    min: dict[str, int] = Field(default_factory=dict)
    reason: str | None = None

    @model_validator(mode="after")
    def _known_params(self) -> Limit:
        if not self.max and not self.min:
            raise ValueError("a limit needs 'max' or 'min' (e.g. max: {replicas: 20})")
        kinds = self.kinds()
        numeric = sorted(
            {
                field
                for kind in kinds
                for field, info in OPERATIONS[kind].model_fields.items()
                if info.annotation in (int, int | None)
            }
        )
        for bound in ("max", "min"):
            for param in getattr(self, bound):
                if param not in numeric:
                    raise ValueError(
                        f"{bound}.{param}: not an integer parameter of "
                        f"{', '.join(self.actions)}{did_you_mean(param, numeric)}; "
                        f"known: {', '.join(numeric) or 'none'}"
                    )
        return self


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK_POINT = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})$")


def week_minute(text: str) -> int:
    """'Fri 16:00' -> minutes since Monday 00:00."""
    match = _WEEK_POINT.fullmatch(text.strip())
    day = match.group(1).lower() if match else ""
    if match is None or day not in _DAYS or int(match[2]) > 23 or int(match[3]) > 59:
        raise ValueError(f"bad weekly time {text!r}: use '<Day> HH:MM', e.g. 'Fri 16:00'")
    return _DAYS.index(day) * 1440 + int(match[2]) * 60 + int(match[3])


def _week_point(value: str) -> str:
    week_minute(value)
    return value


WeekPoint = Annotated[str, AfterValidator(_week_point)]


class WeeklyWindow(_Strict):
    """Every week from `start` to `end` in the freeze's time zone; may wrap over Sunday."""

    start: WeekPoint
    end: WeekPoint

    @model_validator(mode="after")
    def _not_empty(self) -> WeeklyWindow:
        if week_minute(self.start) == week_minute(self.end):
            raise ValueError("start and end are the same time: the window would be empty")
        return self


def _local_point(value: Any, *, end: bool) -> Any:
    """Dates and 'YYYY-MM-DD HH:MM' strings as naive local datetimes (zone added later).

    A bare date as `end` means the end of that day.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        day = datetime.combine(value, time())
        return day + timedelta(days=1) if end else day
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return _local_point(date.fromisoformat(text), end=end)
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"bad date {value!r}: use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'"
            ) from None
    raise ValueError(f"bad date {value!r}: use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'")


class DateWindow(_Strict):
    """An absolute period; naive times are in the freeze's time zone."""

    start: datetime
    end: datetime

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "start" in data:
                data["start"] = _local_point(data["start"], end=False)
            if "end" in data:
                data["end"] = _local_point(data["end"], end=True)
        return data

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=zone)
        end = self.end if self.end.tzinfo else self.end.replace(tzinfo=zone)
        return start, end


class Freeze(Scoped):
    """A change freeze: the listed actions are denied while any window is active."""

    timezone: Zone = "UTC"
    weekly: list[WeeklyWindow] = Field(default_factory=list)
    dates: list[DateWindow] = Field(default_factory=list)
    exempt_users: list[ExactSubject] = Field(default_factory=list)
    exempt_groups: list[ExactSubject] = Field(default_factory=list)
    reason: Name

    @model_validator(mode="after")
    def _has_window(self) -> Freeze:
        if not self.weekly and not self.dates:
            raise ValueError("a freeze needs 'weekly' and/or 'dates' windows")
        zone = parse_zone(self.timezone)
        for window in self.dates:
            start, end = window.bounds(zone)
            if end <= start:
                raise ValueError(f"dates: end {window.end} is not after start {window.start}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return parse_zone(self.timezone)


class Approval(Scoped):
    """Writes matching this rule need `count` distinct approvers before they run."""

    count: int = Field(default=1, ge=1, le=10, description="distinct approvers needed")
    approver_users: list[ExactSubject] = Field(default_factory=list)
    approver_groups: list[Subject] = Field(default_factory=list, description="'*' = anyone")
    allow_self_approval: bool = False
    expires_after: Duration = "30m"

    @model_validator(mode="after")
    def _satisfiable(self) -> Approval:
        if not self.approver_users and not self.approver_groups:
            raise ValueError("an approval rule needs 'approver_groups' or 'approver_users'")
        if not self.approver_groups and len(set(self.approver_users)) < self.count:
            raise ValueError(
                f"count {self.count} can never be met by {len(set(self.approver_users))} "
                "approver_users and no approver_groups"
            )
        seconds = self.ttl_seconds
        if not 30 <= seconds <= 7 * 86400:
            raise ValueError(f"expires_after {self.expires_after!r} must be between 30s and 7d")
        return self

    @property
    def ttl_seconds(self) -> int:
        return int(parse_duration(self.expires_after).total_seconds())


class PolicyFile(_Strict):
    """One YAML policy file. Every section is optional; a folder's files are merged."""

    groups: dict[ExactSubject, list[ExactSubject]] = Field(default_factory=dict)
    default_context: Annotated[str, AfterValidator(check_context_name)] = Field(
        default="default", description="name matched by `contexts` when a step sets none"
    )
    grants: list[Grant] = Field(default_factory=list)
    denies: list[Deny] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    freezes: list[Freeze] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)

    @property
    def rule_count(self) -> int:
        return sum(
            len(x) for x in (self.grants, self.denies, self.limits, self.freezes, self.approvals)
        )
