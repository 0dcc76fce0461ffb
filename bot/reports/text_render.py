"""The report as plain text: for the terminal (`opsbot report`), chat fallbacks and Results."""

from __future__ import annotations

from bot.reports.models import Finding, HealthReport, Severity


def counts_line(report: HealthReport) -> str:
    counts = report.counts()
    return ", ".join(f"{counts[s]} {s.value}" for s in Severity)


def trend_line(report: HealthReport) -> str | None:
    trend = report.trend
    if trend is None or trend.previous_at is None:
        return None
    shown = {f.key for f in report.findings}
    new = sum(1 for k in trend.new if k in shown)
    persisting = sum(1 for k in trend.persisting if k in shown)
    score = (
        f"; score {trend.previous_score} -> {report.score}"
        if trend.previous_score is not None
        else ""
    )
    return (
        f"since {trend.previous_at:%Y-%m-%d %H:%M} UTC: {new} new, {len(trend.resolved)} "
        f"resolved, {persisting} persisting{score}"
    )


def finding_lines(finding: Finding, *, is_new: bool = False) -> list[str]:
    mark = " [new]" if is_new else ""
    lines = [f"[{finding.severity.value.upper()}] {finding.title}{mark}"]
    lines.append(f"    where: {finding.source} {finding.scope} {finding.subject}")
    if finding.detail:
        lines.append(f"    {finding.detail}")
    lines.append(f"    next: {finding.next_step}")
    for command in finding.commands:
        lines.append(f"    run: {command}")
    return lines


def render_text(report: HealthReport) -> str:
    new = set(report.trend.new) if report.trend and report.trend.previous_at else set()
    lines = [
        f"Health report: score {report.score}/100 ({counts_line(report)})",
        f"scope: {report.scope}",
        f"generated: {report.generated_at:%Y-%m-%d %H:%M:%S} UTC in {report.duration_ms:.0f} ms",
    ]
    trend = trend_line(report)
    if trend:
        lines.append(trend)
    if not report.findings and not report.omitted:
        lines.append(
            "Nothing needs attention in what could be checked (see 'Could not check' below)."
            if report.notes
            else "All clear: nothing needs attention."
        )
    for finding in report.findings:
        lines.append("")
        lines.extend(finding_lines(finding, is_new=finding.key in new))
    for omitted in report.omitted:
        lines.append(f"... and {omitted.count} more {omitted.severity.value} {omitted.kind}")
    if report.trend and report.trend.resolved:
        lines.append("")
        lines.append("Resolved since the last report:")
        lines.extend(f"  - {r.title}" for r in report.trend.resolved)
    if report.notes:
        lines.append("")
        lines.append("Could not check:")
        lines.extend(f"  - {note}" for note in report.notes)
    return "\n".join(lines)
