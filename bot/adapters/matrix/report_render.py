"""A health report in a Matrix room: one message, HTML (score, counts, findings table with the
next step and bot commands) with a plain-text body. Finding text comes from clusters and hosts
(untrusted): it is HTML-escaped, and the plain body carries no formatting."""

from __future__ import annotations

from bot.adapters.matrix.client import MatrixClient
from bot.adapters.matrix.render import Rendered, esc
from bot.reports.models import SEVERITY_ICONS, HealthReport, Severity
from bot.reports.text_render import render_text, trend_line

MAX_FINDINGS = 30  # the rest is counted; the full list is attached as a file
MAX_BODY_CHARS = 20_000


def report_message(report: HealthReport) -> Rendered:
    worst = report.worst()
    icon = "✅" if worst is None else SEVERITY_ICONS[worst]
    counts = report.counts()
    parts = [
        f"<h4>{icon} Health report: {report.score}/100</h4>",
        "<p>"
        + " ".join(f"{SEVERITY_ICONS[s]} <b>{counts[s]}</b> {esc(s.value)}" for s in Severity)
        + f"<br><b>Scope:</b> {esc(report.scope)}</p>",
    ]
    trend = trend_line(report)
    if trend:
        parts.append(f"<p><i>{esc(trend)}</i></p>")
    if report.findings:
        rows = "".join(
            "<tr>"
            f"<td>{SEVERITY_ICONS[f.severity]} {esc(f.severity.value)}</td>"
            f"<td>{esc(f.title)}</td>"
            f"<td>{esc(f.source)} {esc(f.scope)} {esc(f.subject)}</td>"
            f"<td>{esc(f.next_step)}"
            + "".join(f"<br><code>{esc(c)}</code>" for c in f.commands[:2])
            + "</td></tr>"
            for f in report.findings[:MAX_FINDINGS]
        )
        parts.append(
            "<table><thead><tr><th>severity</th><th>finding</th><th>where</th>"
            f"<th>next step</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        if len(report.findings) > MAX_FINDINGS:
            parts.append(
                f"<p>{len(report.findings) - MAX_FINDINGS} more finding(s) in report.txt.</p>"
            )
    else:
        parts.append("<p>All clear: nothing needs attention.</p>")
    if report.notes:
        parts.append("<p><b>Could not check:</b> " + esc("; ".join(report.notes)) + "</p>")
    text = render_text(report)
    body = text if len(text) <= MAX_BODY_CHARS else text[: MAX_BODY_CHARS - 1] + "…"
    files = [("report.txt", text)] if len(report.findings) > MAX_FINDINGS else []
    return Rendered(body=body, html="".join(parts), files=files)


async def post_report_to_matrix(client: MatrixClient, room_id: str, report: HealthReport) -> str:
    """Post the report to `room_id` (a room the bot has joined); returns the event id."""
    rendered = report_message(report)
    event_id = await client.send(room_id, {**rendered.content(), "msgtype": "m.notice"})
    for filename, text in rendered.files:
        await client.upload(room_id, filename=filename, text=text, thread_root=event_id)
    return event_id
