"""Replies as Matrix messages: a plain-text `body` every client shows plus an HTML
`formatted_body` (tables, code blocks). Long output goes out as a file (m.file)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from bot.approvals.models import PendingApproval
from bot.backends.base import Result, Status
from bot.policy.decision import Decision, Outcome
from bot.redact import redact, truncate
from bot.render import render_execution, render_reply_text, render_requirements
from bot.replies import (
    ExecutionReport,
    InvalidReply,
    NeedsApprovalReply,
    Reply,
    ResultReply,
)

STATUS_ICON = {
    "pending": "⏳",
    "executing": "⚙️",
    "done": "✅",
    "failed": "❌",
    "expired": "⌛",
    "rejected": "🚫",
    "refused": "⛔",
}


@dataclass(frozen=True)
class Emoji:
    approve: str
    reject: str
    undo: str


@dataclass
class Rendered:
    body: str
    html: str
    files: list[tuple[str, str]] = field(default_factory=list)  # (filename, content)

    def content(self) -> dict[str, Any]:
        return {
            "msgtype": "m.text",
            "body": self.body,
            "format": "org.matrix.custom.html",
            "formatted_body": self.html,
        }


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pre(text: str) -> str:
    return f"<pre><code>{esc(text)}</code></pre>"


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)


def preview(
    reply: NeedsApprovalReply,
    *,
    status: str,
    emoji: Emoji,
    requester: str | None,
    tally: list[int] | None = None,
    note: str | None = None,
) -> Rendered:
    icon = STATUS_ICON.get(status, "")
    rows = []
    for i, step in enumerate(reply.plan.steps, 1):
        shown = reply.previews[i - 1] if i - 1 < len(reply.previews) else None
        change = ""
        dry = ""
        if shown is not None:
            keys = list(dict.fromkeys([*shown.desired, *shown.current]))
            change = ", ".join(
                f"{k}: {_fmt(shown.current.get(k))} → {_fmt(shown.desired[k])}"
                if k in shown.desired
                else f"{k}: {_fmt(shown.current[k])}"
                for k in keys
            )
            dry = {True: "ok", False: f"FAILED: {shown.dry_run_error}", None: ""}[shown.dry_run_ok]
        rows.append([str(i), step.risk.value, step.describe(), change, dry])
    needs = render_requirements(reply.decision, reply.expires_at)
    have = f" ({', '.join(str(t) for t in tally)} approval(s) so far)" if tally else ""
    who = f" requested by {requester}" if requester else ""
    head = f"{icon} Plan {status.upper()}{who} · digest {reply.plan.digest[:12]}"
    lines = [head + (f" · {note}" if note else "")]
    html_parts = [f"<p><b>{esc(head)}</b>" + (f" · {esc(note)}" if note else "") + "</p>"]
    html_parts.append(_table(["#", "risk", "step", "current → desired", "dry run"], rows))
    lines.append(render_reply_text(reply))
    if needs and status == "pending":
        html_parts.append(_pre(needs + have))
        html_parts.append(
            f"<p>React {esc(emoji.approve)} to approve, {esc(emoji.reject)} to reject "
            "(the requester's reject cancels); remove your reaction to withdraw.</p>"
        )
        if have:
            lines.append(have.strip(" ()"))
        lines.append(
            f"React {emoji.approve} to approve, {emoji.reject} to reject; "
            "remove your reaction to withdraw."
        )
    return Rendered(body="\n".join(lines), html="".join(html_parts))


def reply_from_approval(approval: PendingApproval) -> NeedsApprovalReply:
    """A preview to re-render when the first one is not remembered (another replica's, or
    state lost): the plan and the requirements from the store, without the dry run."""
    return NeedsApprovalReply(
        text=approval.plan.describe(),
        plan=approval.plan,
        decision=Decision(outcome=Outcome.NEEDS_APPROVAL, requirements=approval.requirements),
        approval_id=approval.id,
        expires_at=approval.expires_at,
    )


def result_output(result: Result) -> str:
    if result.text:
        return result.text
    data = result.data
    if isinstance(data, dict) and data:
        return "\n".join(f"{k}: {v}" for k, v in data.items())
    if isinstance(data, list) and data:
        return "\n".join(str(v) for v in data)
    return "" if data is None else str(data)


def execution(report: ExecutionReport, *, emoji: Emoji, max_chars: int) -> Rendered:
    files: list[tuple[str, str]] = []
    head = "✅ Done" if report.ok else "❌ Failed"
    parts = [f"<p><b>{head}</b> · {len(report.steps)} step(s) in {report.duration_ms:.0f} ms</p>"]
    for i, step in enumerate(report.steps, 1):
        r = step.result
        mark = {Status.SUCCESS: "✅", Status.NO_DATA: "⚪", Status.ERROR: "❌"}[r.status]
        parts.append(f"<p>{mark} <b>{i}. {esc(step.description)}</b> ({r.duration_ms:.0f} ms)</p>")
        if r.status == Status.ERROR:
            parts.append(f"<p><b>Error:</b> {esc(r.error or 'unknown error')}</p>")
            parts.append(f"<p><b>Call:</b> <code>{esc(r.call)}</code></p>")
        data = r.data
        if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
            columns = list(dict.fromkeys(k for row in data for k in row))[:8]
            shown_rows = data[:50]
            parts.append(
                _table(
                    columns,
                    [[redact(str(row.get(c, ""))) for c in columns] for row in shown_rows],
                )
            )
            if len(data) > len(shown_rows):
                name = f"{step.operation}-{i}.txt"
                files.append((name, redact(result_output(r) or str(data))))
                parts.append(f"<p>{len(data) - len(shown_rows)} more row(s) in {esc(name)}.</p>")
            continue
        output = redact(result_output(r)) if r.status != Status.ERROR or r.text else ""
        if output:
            keep = "tail" if step.operation.endswith("logs") else "head"
            shown, cut = truncate(output, max_chars=max_chars, keep=keep)
            parts.append(_pre(shown))
            if cut:
                name = f"{step.operation}-{i}.txt"
                files.append((name, output))
                parts.append(
                    f"<p>Output cut to {max_chars} characters; full output in {esc(name)}.</p>"
                )
    if report.ok and report.undo_plan is not None:
        parts.append(
            f"<p>React {esc(emoji.undo)} on the plan message to undo "
            f"(<code>{esc(report.undo_plan.describe())}</code>; needs approval again).</p>"
        )
    body, _ = truncate(redact(render_execution(report)), max_chars=max_chars, keep="head")
    return Rendered(body=body, html="".join(parts), files=files)


def reply(reply: Reply, *, emoji: Emoji, max_chars: int) -> Rendered:
    """Anything but a preview (that is `preview`)."""
    if isinstance(reply, ResultReply):
        done = execution(reply.execution, emoji=emoji, max_chars=max_chars)
        plan = esc(reply.plan.describe())
        return Rendered(body=done.body, html=f"<p>{plan}</p>" + done.html, files=done.files)
    text, cut = truncate(reply.text or reply.kind.value, max_chars=max_chars, keep="head")
    parts = [f"<p>{esc(line)}</p>" for line in text.splitlines() if line.strip()] or ["<p></p>"]
    if isinstance(reply, InvalidReply) and reply.usage:
        parts.append(f"<p><b>Usage:</b></p>{_pre(reply.usage)}")
    files = [("reply.txt", reply.text)] if cut else []
    return Rendered(body=text, html="".join(parts), files=files)
