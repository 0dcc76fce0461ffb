"""Plain-text rendering of replies: the console's output and every chat adapter's fallback text."""

from __future__ import annotations

from datetime import datetime

from bot.plan import Plan
from bot.policy.decision import Decision, Outcome
from bot.replies import (
    DeniedReply,
    ExecutionReport,
    NeedsApprovalReply,
    Reply,
    ResultReply,
    StepPreview,
)

_ICON = {"read": "·", "write": "✎", "destructive": "⚠"}


def render_reply_text(reply: Reply) -> str:
    """The plain text of a reply built from its fields (plan, decision, previews, result)."""
    match reply:
        case ResultReply(plan=plan, execution=execution):
            parts = [_plan_lines(plan), render_execution(execution)]
        case DeniedReply(plan=plan, decision=decision):
            reasons = "\n".join(f"  - {r}" for r in decision.reasons)
            parts = [_plan_lines(plan), "Denied by policy:\n" + reasons]
        case NeedsApprovalReply():
            parts = [
                _plan_lines(reply.plan),
                render_previews(reply.previews) if reply.previews else "",
                render_requirements(reply.decision, reply.expires_at),
                f"Approval id: {reply.approval_id}",
            ]
        case _:
            parts = [reply.text]
    return "\n\n".join(p for p in parts if p)


def _plan_lines(plan: Plan) -> str:
    lines = [f"Plan ({plan.source}, digest {plan.digest[:12]}):"]
    for i, step in enumerate(plan.steps, 1):
        lines.append(
            f"  {i}. {_ICON.get(step.risk.value, '?')} [{step.risk.value}] {step.describe()}"
        )
    return "\n".join(lines)


def render_previews(previews: list[StepPreview]) -> str:
    lines = ["Preview:"]
    for i, p in enumerate(previews, 1):
        change = _change(p.current, p.desired)
        lines.append(f"  {i}. {p.operation}: {change}" if change else f"  {i}. {p.operation}")
        if p.dry_run_ok is True:
            lines.append("     dry run: ok")
        elif p.dry_run_ok is False:
            lines.append(f"     dry run FAILED: {p.dry_run_error}")
        if p.note:
            lines.append(f"     note: {p.note}")
    return "\n".join(lines)


def _change(current: dict[str, object], desired: dict[str, object]) -> str:
    keys = list(dict.fromkeys([*desired, *current]))
    return ", ".join(
        f"{k} {current.get(k, '?')} -> {desired[k]}" if k in desired else f"{k} {current[k]}"
        for k in keys
    )


def render_requirements(decision: Decision, expires_at: datetime | None) -> str:
    if decision.outcome != Outcome.NEEDS_APPROVAL:
        return ""
    lines = ["Needs approval:"]
    for req in decision.requirements:
        who = ", ".join(
            [*(f"@{g}" for g in sorted(req.approver_groups)), *sorted(req.approver_users)]
        )
        self_note = "" if req.allow_self_approval else ", not the requester"
        lines.append(f"  - {req.count} approval(s) from {who or 'nobody'}{self_note} [{req.rule}]")
    if expires_at is not None:
        lines.append(f"  expires {expires_at:%Y-%m-%d %H:%M:%S %Z}")
    return "\n".join(lines)


def render_execution(execution: ExecutionReport) -> str:
    lines = ["Done." if execution.ok else "Failed."]
    for i, step in enumerate(execution.steps, 1):
        r = step.result
        mark = "ok" if r.ok else "FAILED"
        lines.append(f"{i}. {step.description}: {mark} ({r.duration_ms:.0f} ms)")
        if r.text:
            lines.append(r.text)
        elif r.status.value == "no_data":
            lines.append("(nothing found)")
        if r.error:
            lines.append(f"   error: {r.error}")
            lines.append(f"   call: {r.call}")
            if r.hint:
                lines.append(f"   try: {r.hint}")
    for skipped in execution.skipped:
        lines.append(f"skipped: {skipped}")
    if execution.undo_plan is not None:
        lines.append(f"Undo available: {execution.undo_plan.describe()}")
    return "\n".join(lines)


EXPIRED_NOTICE = (
    "This plan expired before it got enough approvals; nothing ran. Ask again if it is still "
    "needed."
)
"""What every front end says in the thread of a plan that expired (after its own emoji)."""

INTERRUPTED_PREVIEW_NOTE = "interrupted: check the current state"
"""The note every front end shows on the preview of a plan left mid-run."""


def interrupted_notice(plan_description: str) -> str:
    """What every front end says about a plan a stopped bot replica left mid-run (the one
    wording; `plan_description` escaped by the caller for its platform)."""
    return (
        "The bot stopped while this plan was running, so it may be partly applied: "
        f"{plan_description}. It will not be run again. Check the current state before asking "
        "again."
    )
