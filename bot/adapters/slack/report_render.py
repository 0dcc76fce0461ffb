"""The report in Slack: a compact Block Kit summary (score, counts by severity, top findings)
and the details as replies in its thread; every message has a plain-text fallback.

Finding text comes from clusters and hosts (untrusted): it is escaped for mrkdwn so it cannot
mention @channel or forge links, in blocks and in the fallback text alike.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.adapters.slack.blocks import Block, context, escape, section
from bot.reports.models import SEVERITY_ICONS, Finding, HealthReport, Severity
from bot.reports.text_render import counts_line, finding_lines, trend_line

TOP_FINDINGS = 5
FINDINGS_PER_THREAD_MESSAGE = 15
MAX_SECTION_CHARS = 2900  # Slack's limit for a section's text is 3000


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SECTION_CHARS else text[: MAX_SECTION_CHARS - 1] + "…"


def _section(text: str) -> Block:
    return section(_cut(text))


def _context(text: str) -> Block:
    return context(_cut(text))


def score_icon(report: HealthReport) -> str:
    worst = report.worst()
    return "✅" if worst is None else SEVERITY_ICONS[worst]


def summary_text(report: HealthReport) -> str:
    """The plain-text fallback of the summary (notifications, screen readers)."""
    top = "; ".join(f.title for f in report.findings[:3])
    head = f"Health report: score {report.score}/100 ({counts_line(report)})"
    return escape(head + (f". Top: {top}" if top else ". All clear."))


def summary_blocks(report: HealthReport) -> list[Block]:
    counts = report.counts()
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"{score_icon(report)} Health report: {report.score}/100",
            },
            "block_id": "score",
        },
        {
            **_section(
                "  ".join(f"{SEVERITY_ICONS[s]} *{counts[s]}* {s.value}" for s in Severity)
                + f"\n*Scope:* {escape(report.scope)}"
            ),
            "block_id": "counts",
        },
    ]
    trend = trend_line(report)
    if trend:
        blocks.append({**_context(escape(trend)), "block_id": "trend"})
    if report.findings:
        new = set(report.trend.new) if report.trend and report.trend.previous_at else set()
        lines = [_top_line(f, is_new=f.key in new) for f in report.findings[:TOP_FINDINGS]]
        more = len(report.findings) - TOP_FINDINGS + sum(o.count for o in report.omitted)
        if more > 0:
            lines.append(f"_…and {more} more in the thread_")
        blocks.append({**_section("\n".join(lines)), "block_id": "top"})
    else:
        blocks.append({**_section("✅ All clear: nothing needs attention."), "block_id": "top"})
    footer = f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC"
    if report.findings or report.notes:
        footer += " · details in the thread"
    blocks.append({**_context(footer), "block_id": "footer"})
    return blocks


def _top_line(f: Finding, *, is_new: bool) -> str:
    cmd = f" → `{escape(f.command)}`" if f.command else ""
    new = " _(new)_" if is_new else ""
    return f"{SEVERITY_ICONS[f.severity]} *{escape(f.title)}*{new} · {escape(f.scope)}{cmd}"


def _finding_block(f: Finding) -> Block:
    lines = [
        f"{SEVERITY_ICONS[f.severity]} *{escape(f.title)}*",
        f"_{escape(f.source)} · {escape(f.scope)} · {escape(f.subject)}_",
    ]
    if f.detail:
        lines.append(escape(f.detail))
    lines.append(f"*Next:* {escape(f.next_step)}")
    if f.commands:
        lines.append(" · ".join(f"`{escape(c)}`" for c in f.commands))
    return _section("\n".join(lines))


def thread_messages(report: HealthReport) -> list[tuple[str, list[Block]]]:
    """The detail replies: (fallback text, blocks) each, findings in chunks."""
    out: list[tuple[str, list[Block]]] = []
    findings = report.findings
    for start in range(0, len(findings), FINDINGS_PER_THREAD_MESSAGE):
        chunk = findings[start : start + FINDINGS_PER_THREAD_MESSAGE]
        text = escape("\n".join(line for f in chunk for line in finding_lines(f)))
        out.append((text, [_finding_block(f) for f in chunk]))
    extra: list[str] = [
        f"…and {o.count} more {o.severity.value} {o.kind} (not listed)" for o in report.omitted
    ]
    if report.trend and report.trend.resolved:
        extra.append("*Resolved since the last report:*")
        extra.extend(f"✅ {escape(r.title)}" for r in report.trend.resolved)
    if report.notes:
        extra.append("*Could not check:*")
        extra.extend(f"⚠️ {escape(n)}" for n in report.notes)
    if extra:
        plain = "\n".join(extra)
        out.append((plain, [_section(plain)]))
    return out


def post_report_to_slack(client: WebClient, channel: str, report: HealthReport) -> str:
    """Post the summary to `channel` and the details in its thread; returns the summary's ts.

    Slack errors (slack_sdk SlackApiError) propagate to the caller (the scheduler logs them)."""
    response = client.chat_postMessage(
        channel=channel, text=summary_text(report), blocks=summary_blocks(report)
    )
    ts = str(response["ts"])
    for text, blocks in thread_messages(report):
        client.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=blocks)
    return ts
