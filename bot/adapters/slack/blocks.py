"""Block Kit rendering of service replies. Pure functions: no Slack calls, nothing decided here.

Every piece of text that came from a user, a backend or the model is escaped for mrkdwn, in the
blocks and in the fallback `text` alike (Slack shows that one in notifications), so a container
name, a log line or an LLM's explanation can never ping a channel or forge a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.approvals.models import ApprovalState, PendingApproval
from bot.backends.base import Result, Status
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement, Decision, Outcome
from bot.redact import redact, truncate
from bot.replies import (
    DeniedReply,
    ExecutionReport,
    HelpReply,
    InvalidReply,
    NeedsApprovalReply,
    Reply,
    ReplyKind,
    ResultReply,
    StepPreview,
)

Block = dict[str, Any]

SECTION_LIMIT = 3000  # Slack's limit for a section's text
_CODE_OVERHEAD = 200  # fences plus the truncation marker

RISK_BADGE = {
    "read": ":large_green_circle: read",
    "write": ":large_orange_circle: write",
    "destructive": ":red_circle: destructive",
}

STATUS_LABEL = {
    "pending": ":hourglass_flowing_sand: Pending approval",
    "approved": ":white_check_mark: Approved",
    "executing": ":gear: Approved, executing",
    ApprovalState.DONE.value: ":white_check_mark: Done",
    ApprovalState.FAILED.value: ":x: Failed",
    ApprovalState.EXPIRED.value: ":hourglass: Expired",
    ApprovalState.REJECTED.value: ":no_entry_sign: Rejected",
    ApprovalState.CANCELLED.value: ":heavy_minus_sign: Cancelled",
    ApprovalState.REFUSED.value: ":no_entry: Refused",
}


@dataclass(frozen=True)
class Emoji:
    approve: str = "white_check_mark"
    reject: str = "x"
    undo: str = "leftwards_arrow_with_hook"


@dataclass
class Rendered:
    """A message to post: fallback text, blocks, and long outputs to upload as files."""

    text: str
    blocks: list[Block]
    files: list[tuple[str, str]] = field(default_factory=list)  # (filename, content)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}
    if block_id:
        block["block_id"] = block_id
    return block


def code(text: str, *, keep: str = "head") -> str:
    """A code block that always fits one section (escaping can lengthen the text); a fence
    inside the text is broken with a zero-width space."""
    body = escape(text.replace("```", "`\u200b``"))
    room = SECTION_LIMIT - 6
    if len(body) > room:
        body = body[-room:] if keep == "tail" else body[:room]
    return "```" + body + "```"


def slack_date(moment: datetime) -> str:
    """A date every reader sees in their own time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


# ----------------------------------------------------------------------------- plan and preview
def _fmt(value: Any) -> str:
    return escape(str(value)) if not isinstance(value, dict | list) else escape(repr(value))


def change_lines(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    keys = list(dict.fromkeys([*desired, *current]))
    lines = []
    for key in keys:
        if key in desired:
            before = _fmt(current[key]) if key in current else "?"
            lines.append(f"`{escape(key)}`: {before} → *{_fmt(desired[key])}*")
        else:
            lines.append(f"`{escape(key)}`: {_fmt(current[key])}")
    return lines


def step_block(index: int, plan: Plan, preview: StepPreview | None) -> Block:
    step = plan.steps[index]
    lines = [
        f"*{index + 1}. {escape(step.kind)}* · {RISK_BADGE.get(step.risk.value, step.risk.value)}",
        escape(preview.description if preview else step.describe()),
    ]
    if preview is not None:
        lines += change_lines(preview.current, preview.desired)
        if preview.dry_run_ok is True:
            lines.append(":white_check_mark: Dry run accepted by the server")
        elif preview.dry_run_ok is False:
            lines.append(
                f":warning: Dry run failed: {escape(preview.dry_run_error or 'unknown error')}"
            )
        if preview.note:
            lines.append(f"_{escape(preview.note)}_")
    return section("\n".join(lines))


def requirement_line(req: ApprovalRequirement, have: int | None = None) -> str:
    who = [f"@{escape(g)}" if g != "*" else "anyone" for g in sorted(req.approver_groups)]
    who += [f"<@{escape(u)}>" for u in sorted(req.approver_users)]
    count = f"{have}/{req.count}" if have is not None else str(req.count)
    noun = "approval" if req.count == 1 else "approvals"
    line = f"• {count} {noun} from {' or '.join(who) or 'nobody'}"
    if not req.allow_self_approval:
        line += " (not the requester)"
    return line + f" · rule `{escape(req.rule)}`"


def decision_line(decision: Decision) -> str:
    label = {
        Outcome.ALLOW: ":white_check_mark: allowed",
        Outcome.DENY: ":no_entry: denied",
        Outcome.NEEDS_APPROVAL: ":raised_hand: needs approval",
    }[decision.outcome]
    reasons = "; ".join(escape(r) for r in decision.reasons)
    return f"*Policy:* {label}" + (f" — {reasons}" if reasons else "")


def preview_blocks(
    reply: NeedsApprovalReply,
    *,
    status: str,
    emoji: Emoji,
    requester: str | None = None,
    request_text: str | None = None,
    tally: list[int] | None = None,
    note: str | None = None,
) -> Rendered:
    """The plan preview message; re-rendered with a new `status` for every chat.update."""
    plan = reply.plan
    title = "Undo plan" if plan.source == "undo" else "Plan"
    head = f"*{title}* ({len(plan.steps)} step{'s' if len(plan.steps) != 1 else ''})"
    if requester:
        head += f" requested by <@{escape(requester)}>"
    if request_text:
        head += f": `{escape(request_text[:300])}`"
    blocks: list[Block] = [section(head)]
    if plan.explanation:
        blocks.append(context(explanation_line(plan)))
    previews = {p.operation: p for p in reply.previews}
    for i in range(len(plan.steps)):
        preview = reply.previews[i] if i < len(reply.previews) else previews.get(plan.steps[i].kind)
        blocks.append(step_block(i, plan, preview))
    decision = reply.decision
    lines = [decision_line(decision)]
    if decision.requirements:
        counts = tally if tally and len(tally) == len(decision.requirements) else None
        lines += [
            requirement_line(r, counts[i] if counts else None)
            for i, r in enumerate(decision.requirements)
        ]
    lines.append(f"Expires {slack_date(reply.expires_at)}")
    blocks.append(section("\n".join(lines)))
    blocks.append(status_block(status, emoji=emoji, note=note, digest=plan.digest))
    text = f"{STATUS_LABEL.get(status, escape(status))}: {escape(plan.describe())}"
    return Rendered(text=text[:3000], blocks=blocks)


MODEL_NOTE = "Model's note (unverified): "


def explanation_line(plan: Plan) -> str:
    """A plan's explanation; the model's words are labelled so nobody takes them as the bot's
    checked facts (the steps and the policy lines below are what was checked)."""
    text = escape(plan.explanation or "")
    return f"_{MODEL_NOTE}_{text}" if plan.source == "llm" else text


def status_block(status: str, *, emoji: Emoji, note: str | None, digest: str) -> Block:
    parts = [f"*Status:* {STATUS_LABEL.get(status, escape(status))}"]
    if note:
        parts.append(note)  # mrkdwn built by the caller (may hold user mentions)
    if status == "pending":
        parts.append(f"React :{emoji.approve}: to approve or :{emoji.reject}: to reject")
    parts.append(f"digest `{digest[:12]}`")
    return context(" · ".join(parts), block_id="status")


def reply_from_approval(approval: PendingApproval) -> NeedsApprovalReply:
    """The preview of a stored approval (plan, previews, the requirements it is counted under,
    expiry): every update of a preview message is rendered from it."""
    return NeedsApprovalReply(
        text=approval.plan.describe(),
        plan=approval.plan,
        previews=approval.previews,
        decision=Decision(outcome=Outcome.NEEDS_APPROVAL, requirements=approval.requirements),
        approval_id=approval.id,
        expires_at=approval.expires_at,
    )


# ----------------------------------------------------------------------------- other replies
def reply_blocks(
    reply: Reply,
    *,
    emoji: Emoji,
    max_chars: int,
    requester: str | None = None,
    request_text: str | None = None,
) -> Rendered:
    """Any reply that is not a pending preview: results, denials, help, errors."""
    if isinstance(reply, NeedsApprovalReply):
        return preview_blocks(
            reply, status="pending", emoji=emoji, requester=requester, request_text=request_text
        )
    intro: list[Block] = []
    if requester and request_text:
        intro.append(context(f"<@{escape(requester)}>: `{escape(request_text[:300])}`"))
    if isinstance(reply, ResultReply):
        rendered = execution_blocks(
            reply.execution, emoji=emoji, max_chars=max_chars, offer_undo=False
        )
        rendered.blocks[:0] = intro
        return rendered
    blocks = list(intro)
    match reply:
        case DeniedReply(plan=plan, decision=decision):
            lines = [":no_entry: *Denied by policy*"]
            lines += [f"• {escape(s.describe())}" for s in plan.steps]
            lines += [f"> {escape(r)}" for r in decision.reasons]
            blocks.append(section("\n".join(lines)))
        case HelpReply():
            blocks.append(section(code(reply.text[: SECTION_LIMIT - _CODE_OVERHEAD])))
        case _:
            icon = {
                ReplyKind.ERROR: ":warning: ",
                ReplyKind.INVALID: ":thinking_face: ",
                ReplyKind.RATE_LIMITED: ":hourglass: ",
            }.get(reply.kind, "")
            blocks.append(section(icon + escape(reply.text or "Nothing to report.")))
    if isinstance(reply, InvalidReply) and reply.usage:
        blocks.append(section("*Usage:*\n" + code(reply.usage[: SECTION_LIMIT - _CODE_OVERHEAD])))
    return Rendered(text=escape(reply.text or reply.kind.value)[:3000], blocks=blocks)


# ----------------------------------------------------------------------------- execution results
def format_table(rows: list[dict[str, Any]], *, max_columns: int = 8) -> str:
    """Aligned plain-text columns (Slack has no table block that every client renders)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))[:max_columns]
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def result_output(result: Result) -> str:
    """The human-readable output of a step: the backend's text, else a table or key: value list."""
    if result.text:
        return result.text
    data = result.data
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return format_table(data)
    if isinstance(data, dict) and data:
        return "\n".join(f"{k}: {v}" for k, v in data.items())
    if isinstance(data, list) and data:
        return "\n".join(str(v) for v in data)
    return "" if data is None else str(data)


def execution_blocks(
    report: ExecutionReport, *, emoji: Emoji, max_chars: int, offer_undo: bool = True
) -> Rendered:
    inline = max(200, min(max_chars, SECTION_LIMIT - _CODE_OVERHEAD))
    blocks: list[Block] = []
    files: list[tuple[str, str]] = []
    head = ":white_check_mark: *Done*" if report.ok else ":x: *Failed*"
    blocks.append(section(f"{head} · {len(report.steps)} step(s) in {report.duration_ms:.0f} ms"))
    for i, step in enumerate(report.steps, 1):
        r = step.result
        mark = {
            Status.SUCCESS: ":white_check_mark:",
            Status.NO_DATA: ":white_circle:",
            Status.ERROR: ":x:",
        }[r.status]
        lines = [f"{mark} *{i}. {escape(step.description)}* ({r.duration_ms:.0f} ms)"]
        if r.before and r.after:
            lines += change_lines(r.before, r.after)
        if r.status == Status.ERROR:
            lines.append(f"*Error:* {escape(r.error or 'unknown error')}")
            lines.append(f"*Call:* `{escape(r.call)}`")
            if r.hint:
                lines.append(f"*Try:* {escape(r.hint)}")
        elif r.status == Status.NO_DATA and not r.text:
            lines.append("_Nothing found._")
        blocks.append(section("\n".join(lines)))
        output = redact(result_output(r)) if r.status != Status.ERROR or r.text else ""
        if output:
            keep = "tail" if step.operation.endswith("logs") else "head"
            shown, cut = truncate(output, max_chars=inline, keep=keep)
            blocks.append(section(code(shown, keep=keep)))
            notes = []
            if cut:
                name = f"{step.operation}-{i}.txt"
                files.append((name, output))
                notes.append(f"Output cut to {inline} characters; the full output is in `{name}`.")
            if r.truncated:
                notes.append("The backend also shortened this output.")
            if notes:
                blocks.append(context(" ".join(notes), block_id=f"cut-{i}"))
    if report.skipped:
        blocks.append(
            context("Not run after the failure: " + "; ".join(escape(s) for s in report.skipped))
        )
    if offer_undo and report.ok and report.undo_plan is not None:
        blocks.append(
            context(
                f"React :{emoji.undo}: on the plan message to undo "
                f"(`{escape(report.undo_plan.describe())}`; needs approval again)."
            )
        )
    text = ("Done: " if report.ok else "Failed: ") + "; ".join(
        escape(s.description) for s in report.steps
    )
    return Rendered(text=text[:3000], blocks=blocks[:50], files=files)
