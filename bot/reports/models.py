"""The health report: findings sorted by severity, counters, a 0-100 score and the trend.

A finding's `key` is stable across runs (source, scope, kind, subject), so the next report can
say which findings are new, which persist and which were resolved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 is the most severe (sorting order)."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank <= other.rank


_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
SEVERITY_ICONS = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}

# Score penalty per finding; the score is 100 minus the sum, floored at 0.
PENALTY = {Severity.CRITICAL: 15, Severity.WARNING: 5, Severity.INFO: 1}


class Finding(BaseModel):
    """One thing that is wrong, what to do next, and the bot commands that do it."""

    severity: Severity
    source: str = Field(description="kubernetes | docker | host")
    scope: str = Field(description="context/namespace, Docker host alias or host name")
    kind: str = Field(description="e.g. pod_crashloop, deployment_unavailable, host_disk")
    subject: str = Field(description="e.g. pod/api-1, deploy/web, container/db, disk /")
    title: str
    detail: str = ""
    next_step: str
    commands: list[str] = Field(default_factory=list, description="bot commands, best first")

    @property
    def key(self) -> str:
        return f"{self.source}|{self.scope}|{self.kind}|{self.subject}"

    @property
    def command(self) -> str | None:
        return self.commands[0] if self.commands else None


class Omitted(BaseModel):
    """Findings of one kind beyond the per-kind cap: counted, not kept (bounded memory)."""

    kind: str
    severity: Severity
    count: int


class ResolvedFinding(BaseModel):
    key: str
    severity: Severity
    title: str


class Trend(BaseModel):
    """Compared with the previous report of the same scope (kept in Redis)."""

    previous_at: datetime | None = None
    new: list[str] = Field(default_factory=list, description="keys of new findings")
    persisting: list[str] = Field(default_factory=list)
    resolved: list[ResolvedFinding] = Field(default_factory=list)
    previous_score: int | None = None


class HealthReport(BaseModel):
    scope: str = Field(description="what was looked at, for people")
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    findings: list[Finding] = Field(default_factory=list)
    omitted: list[Omitted] = Field(default_factory=list)
    counters: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list, description="sources that could not be read")
    trend: Trend | None = None
    duration_ms: float = 0.0

    @property
    def score(self) -> int:
        return score_of(self.findings, self.omitted)

    def counts(self) -> dict[Severity, int]:
        """Findings per severity, omitted ones included."""
        out = dict.fromkeys(Severity, 0)
        for f in self.findings:
            out[f.severity] += 1
        for o in self.omitted:
            out[o.severity] += o.count
        return out

    def worst(self) -> Severity | None:
        counts = self.counts()
        return next((s for s in Severity if counts[s]), None)

    def healthy(self, *, min_severity: Severity = Severity.WARNING) -> bool:
        """True when nothing at or above `min_severity` was found."""
        return not any(n for s, n in self.counts().items() if s.at_least(min_severity))

    def filtered(self, *, min_severity: Severity) -> HealthReport:
        """A copy keeping only findings at or above `min_severity` (the score is recomputed)."""
        return self.model_copy(
            update={
                "findings": [f for f in self.findings if f.severity.at_least(min_severity)],
                "omitted": [o for o in self.omitted if o.severity.at_least(min_severity)],
            }
        )

    def as_json(self) -> dict[str, object]:
        data = self.model_dump(mode="json")
        data["score"] = self.score
        data["counts"] = {s.value: n for s, n in self.counts().items()}
        for raw, finding in zip(data["findings"], self.findings, strict=True):
            raw["key"] = finding.key
        return data


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity.rank, f.source, f.kind, f.scope, f.subject))


def score_of(findings: list[Finding], omitted: list[Omitted] | None = None) -> int:
    """100 when nothing is wrong; each finding costs 15 (critical), 5 (warning) or 1 (info)."""
    total = sum(PENALTY[f.severity] for f in findings)
    total += sum(PENALTY[o.severity] * o.count for o in omitted or [])
    return max(0, 100 - total)
