"""Trend against the previous report of the same scope, kept in Redis: which findings are new,
which persist and which were resolved since then."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from bot.redis_url import RedisClient
from bot.reports.models import HealthReport, ResolvedFinding, Severity, Trend

KEEP_SECONDS = 30 * 86400


def trend_key(*, prefix: str, scope_key: str) -> str:
    digest = hashlib.sha256(scope_key.encode()).hexdigest()[:16]
    return f"{prefix}:reports:last:{digest}"


def compare(previous: dict[str, Any] | None, report: HealthReport) -> Trend:
    """Pure comparison of a stored snapshot (see `snapshot`) with a new report."""
    if previous is None:
        return Trend(new=[f.key for f in report.findings])
    before: dict[str, dict[str, Any]] = previous.get("findings") or {}
    now_keys = [f.key for f in report.findings]
    current = set(now_keys)
    return Trend(
        previous_at=datetime.fromisoformat(previous["generated_at"]),
        previous_score=previous.get("score"),
        new=[k for k in now_keys if k not in before],
        persisting=[k for k in now_keys if k in before],
        resolved=[
            ResolvedFinding(key=k, severity=Severity(v["severity"]), title=v["title"])
            for k, v in before.items()
            if k not in current
        ],
    )


def snapshot(report: HealthReport) -> dict[str, Any]:
    return {
        "generated_at": report.generated_at.isoformat(),
        "score": report.score,
        "findings": {
            f.key: {"severity": f.severity.value, "title": f.title} for f in report.findings
        },
    }


def apply_trend(
    client: RedisClient, report: HealthReport, *, prefix: str, scope_key: str
) -> HealthReport:
    """Attach the trend to `report` and store it as the new previous report of this scope."""
    key = trend_key(prefix=prefix, scope_key=scope_key)
    raw = client.get(key)
    previous = json.loads(raw) if raw else None
    report = report.model_copy(update={"trend": compare(previous, report)})
    client.set(key, json.dumps(snapshot(report)), ex=KEEP_SECONDS)
    return report
