"""The audit entries the service writes, one typed builder per event."""

from __future__ import annotations

from datetime import datetime

from bot.approvals.models import PendingApproval, VoteOutcome
from bot.audit import AuditEntry
from bot.models import Principal
from bot.plan import Plan
from bot.planning.base import Usage
from bot.policy.decision import Decision
from bot.replies import ExecutionReport


def decision(plan: Plan, requester: Principal, decided: Decision) -> AuditEntry:
    return AuditEntry(
        event="decision",
        requester=requester.id,
        plan_digest=plan.digest,
        plan=plan.describe(),
        outcome=decided.outcome.value,
        reasons=decided.reasons,
        details={"source": plan.source, "groups": sorted(requester.groups)},
    )


def approval_created(
    plan: Plan, requester: Principal, *, approval_id: str, expires_at: datetime
) -> AuditEntry:
    return AuditEntry(
        event="approval_created",
        requester=requester.id,
        approval_id=approval_id,
        plan_digest=plan.digest,
        plan=plan.describe(),
        details={"expires_at": expires_at.isoformat()},
    )


def closed(
    approval: PendingApproval,
    *,
    event: str,
    outcome: str | None = None,
    reasons: list[str] | None = None,
) -> AuditEntry:
    """An approval that ended without running (expired, interrupted, refused, cancelled)."""
    return AuditEntry(
        event=event,
        requester=approval.requester.id,
        approval_id=approval.id,
        plan_digest=approval.digest,
        plan=approval.plan.describe(),
        outcome=outcome,
        reasons=reasons or [],
    )


def vote(approval: PendingApproval, voter: Principal, outcome: VoteOutcome) -> AuditEntry:
    return AuditEntry(
        event="vote",
        requester=approval.requester.id,
        actor=voter.id,
        approval_id=approval.id,
        plan_digest=approval.digest,
        outcome=outcome.result.value,
        details={"tally": outcome.tally},
    )


def vote_refused(approval: PendingApproval, voter: Principal, reason: str) -> AuditEntry:
    return AuditEntry(
        event="vote_refused",
        requester=approval.requester.id,
        actor=voter.id,
        approval_id=approval.id,
        plan_digest=approval.digest,
        reasons=[reason],
    )


def executed(
    plan: Plan, requester: Principal, execution: ExecutionReport, *, approvers: list[str]
) -> AuditEntry:
    return AuditEntry(
        event="executed",
        requester=requester.id,
        approvers=approvers,
        approval_id=execution.approval_id,
        plan_digest=plan.digest,
        plan=plan.describe(),
        outcome="ok" if execution.ok else "failed",
        before=[s.result.before for s in execution.steps],
        after=[s.result.after for s in execution.steps],
        duration_ms=execution.duration_ms,
        details={
            "calls": [s.result.call for s in execution.steps],
            "errors": [s.result.error for s in execution.steps if s.result.error],
        },
    )


def undo_requested(undo: Plan, requester: Principal, *, approval_id: str) -> AuditEntry:
    return AuditEntry(
        event="undo_requested",
        requester=requester.id,
        approval_id=approval_id,
        plan_digest=undo.digest,
        plan=undo.describe(),
    )


def llm_usage(requester: Principal, usage: Usage, *, plan: Plan | None) -> AuditEntry:
    return AuditEntry(
        event="llm_usage",
        requester=requester.id,
        plan_digest=plan.digest if plan else None,
        details=usage.model_dump(),
    )
