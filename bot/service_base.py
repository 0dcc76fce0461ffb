"""The shared core of the service: state, policy decisions, storing plans for approval,
and the audit records every path writes. OpsService (bot/service.py) composes it with the
LLM planning (bot/service_llm.py) and the approval flow (bot/service_approvals.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import metrics
from bot.approvals.errors import ApprovalNotFound, InvalidTransition, TooManyPending
from bot.approvals.models import ApprovalState, PendingApproval, VoteOutcome
from bot.approvals.store import ApprovalStore, StoreUnavailable
from bot.audit import AuditEntry, AuditLog
from bot.executor import Executor
from bot.models import Principal, Request
from bot.plan import Plan
from bot.planning.base import Inventory, Planner
from bot.policy.decision import Decision, Outcome
from bot.render import render_reply_text
from bot.replies import ExecutionReport, Reply, ReplyKind

log = logging.getLogger("opsbot.service")


class PolicySource(Protocol):
    def evaluate(self, plan: Plan, requester: Principal, *, now: datetime) -> Decision: ...

    def effective_principal(self, principal: Principal) -> Principal: ...

    def readable_namespaces(
        self,
        principal: Principal,
        namespaces: Iterable[str],
        *,
        now: datetime,
        context: str | None = None,
    ) -> list[str]: ...


class RateLimiter(Protocol):
    def allow(self, user_id: str) -> tuple[bool, int]: ...


class ServiceBase:
    def __init__(
        self,
        *,
        policy: PolicySource,
        store: ApprovalStore,
        executor: Executor,
        audit: AuditLog,
        planner: Planner | None = None,
        inventory: Inventory | None = None,
        rate_limiter: RateLimiter | None = None,
        enabled_operations: frozenset[str] = frozenset(),
        default_context: str | None = None,
        max_pending_per_user: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self.store = store
        self.executor = executor
        self.audit = audit
        self.planner = planner
        self.inventory = inventory
        self.rate_limiter = rate_limiter
        self.enabled_operations = enabled_operations
        self.default_context = default_context
        self.max_pending_per_user = max_pending_per_user
        self.clock = clock
        # approval id -> (state, summary) of runs whose finish() the store could not take yet
        self._unfinished: dict[str, tuple[ApprovalState, str]] = {}

    def submit_plan(self, plan: Plan, *, requester: Principal, request: Request) -> Reply:
        """Police a plan; run it at once when it is an allowed read, else store it for votes."""
        plan = plan.with_default_context(self.default_context)
        decision = self._decide(plan, requester)
        self._audit_decision(plan, requester, decision)
        if decision.outcome == Outcome.DENY:
            return self._reply(ReplyKind.DENIED, plan=plan, decision=decision)
        if decision.outcome == Outcome.ALLOW:
            execution = self.executor.run(plan, actor=requester)
            self._audit_execution(plan, requester, execution, approvers=[])
            return self._reply(ReplyKind.RESULT, plan=plan, decision=decision, execution=execution)
        return self._store_for_approval(plan, requester, request, decision)

    def _decide(self, plan: Plan, requester: Principal) -> Decision:
        decision = self._evaluate(plan, requester)
        metrics.record_plan(decision.outcome)
        return decision

    def _evaluate(self, plan: Plan, requester: Principal) -> Decision:
        disabled = sorted(
            {s.kind for s in plan.steps} - self.enabled_operations
            if self.enabled_operations
            else ()
        )
        if disabled:
            return Decision.deny(
                f"{', '.join(disabled)} is not enabled in this deployment "
                "(OPSBOT_ENABLED_OPERATIONS / the chart's operations.enabled)"
            )
        try:
            decision = self.policy.evaluate(plan, requester, now=self.clock())
        except Exception as exc:
            log.exception("policy evaluation failed")
            return Decision.deny(
                f"policy evaluation failed ({exc}); nothing runs until it is fixed"
            )
        if decision.outcome == Outcome.ALLOW and not plan.is_read_only:
            # Invariant: a write never runs without an approval, whatever a policy file says.
            return Decision.deny("policy allowed a write without approval; refusing (fail closed)")
        if decision.outcome == Outcome.NEEDS_APPROVAL and not decision.requirements:
            return Decision.deny("policy asked for approval but named no approvers (fail closed)")
        return decision

    def _store_for_approval(
        self, plan: Plan, requester: Principal, request: Request, decision: Decision
    ) -> Reply:
        now = self.clock()
        ttl = decision.ttl_seconds or 900
        approval = PendingApproval(
            id=uuid.uuid4().hex[:16],
            plan=plan,
            # as the adapter gave it: the policy's groups are added afresh when votes are
            # counted and when it runs, so a policy change applies to waiting plans too
            requester=request.principal if request.principal.id == requester.id else requester,
            requirements=decision.requirements,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            request_text=request.text,
            channel=request.channel,
            thread=request.thread,
        )
        previews = self.executor.preview(plan, actor=requester)
        failed = [p for p in previews if p.dry_run_ok is False]
        if failed:
            # Asking people to approve a change the server already refused wastes their time.
            lines = [f"- {p.description}: {p.dry_run_error or p.note}" for p in failed]
            return self._reply(
                ReplyKind.INVALID,
                text="The dry run failed, so nothing was put up for approval:\n" + "\n".join(lines),
            )
        try:
            self.store.create(approval, max_pending=self.max_pending_per_user)
        except TooManyPending as exc:
            return self._reply(
                ReplyKind.INVALID,
                text=f"You have {exc.pending} plans waiting for approval: cancel one or wait "
                "for them to be approved, rejected or expire, then ask again. Nothing was stored.",
            )
        except StoreUnavailable as exc:
            return self._reply(
                ReplyKind.ERROR,
                plan=plan,
                decision=decision,
                text=f"The approval store is unavailable ({exc}); nothing was stored or run. "
                "Try again when Redis is back.",
            )
        self.audit.record(
            AuditEntry(
                event="approval_created",
                requester=requester.id,
                approval_id=approval.id,
                plan_digest=plan.digest,
                plan=plan.describe(),
                details={"expires_at": approval.expires_at.isoformat()},
            )
        )
        return self._reply(
            ReplyKind.NEEDS_APPROVAL,
            plan=plan,
            decision=decision,
            previews=previews,
            approval_id=approval.id,
            expires_at=approval.expires_at,
        )

    def _without_disabled_undo(self, execution: ExecutionReport) -> ExecutionReport:
        """Offer undo only when its operations are enabled in this deployment."""
        undo = execution.undo_plan
        if undo is None or not self.enabled_operations:
            return execution
        if {s.kind for s in undo.steps} <= self.enabled_operations:
            return execution
        return execution.model_copy(update={"undo_plan": None})

    def _record_finish(self, approval_id: str, *, state: ApprovalState, summary: str) -> None:
        """executing -> done|failed. If the store is away, keep the result here and record it
        at the next sweep (`retry_unfinished`), so the plan is never reported "interrupted"
        while this replica knows its real result (the voter and the audit log have it now)."""
        try:
            self.store.finish(approval_id, state=state, summary=summary)
        except StoreUnavailable:
            log.warning("could not record the result of %s yet; will retry", approval_id)
            self._unfinished[approval_id] = (state, summary)
        except InvalidTransition:
            # the run outlasted the interrupted-execution cutoff and another sweep already
            # marked it failed and told the thread; the audit entry has the real result
            log.warning(
                "approval %s finished after it was marked interrupted; its result is in the "
                "audit log only",
                approval_id,
                exc_info=True,
            )

    def retry_unfinished(self) -> int:
        """Record results kept while the store was away; returns how many are still kept."""
        for approval_id, (state, summary) in list(self._unfinished.items()):
            try:
                self.store.finish(approval_id, state=state, summary=summary)
            except StoreUnavailable:
                break
            except (InvalidTransition, ApprovalNotFound):
                log.warning("result of %s could not be recorded", approval_id, exc_info=True)
            del self._unfinished[approval_id]
        return len(self._unfinished)

    def _claim(self, key: str) -> bool:
        try:
            return self.store.claim_event(key)
        except StoreUnavailable:
            log.warning("idempotency store unavailable; cannot de-duplicate %s", key)
            return True

    def _reply(self, kind: ReplyKind, *, text: str | None = None, **fields: object) -> Reply:
        reply = Reply.model_validate({"kind": kind, "text": text or "", **fields})
        if text is None:
            reply = reply.model_copy(update={"text": render_reply_text(reply)})
        return reply

    def _audit_decision(self, plan: Plan, requester: Principal, decision: Decision) -> None:
        self.audit.record(
            AuditEntry(
                event="decision",
                requester=requester.id,
                plan_digest=plan.digest,
                plan=plan.describe(),
                outcome=decision.outcome.value,
                reasons=decision.reasons,
                details={"source": plan.source, "groups": sorted(requester.groups)},
            )
        )

    def _audit_closed(
        self,
        approval: PendingApproval,
        *,
        event: str,
        outcome: str | None = None,
        reasons: list[str] | None = None,
    ) -> None:
        """An approval that ended without running (expired, interrupted)."""
        self.audit.record(
            AuditEntry(
                event=event,
                requester=approval.requester.id,
                approval_id=approval.id,
                plan_digest=approval.digest,
                plan=approval.plan.describe(),
                outcome=outcome,
                reasons=reasons or [],
            )
        )

    def _audit_vote(
        self, approval: PendingApproval, voter: Principal, outcome: VoteOutcome
    ) -> None:
        self.audit.record(
            AuditEntry(
                event="vote",
                requester=approval.requester.id,
                actor=voter.id,
                approval_id=approval.id,
                plan_digest=approval.digest,
                outcome=outcome.result.value,
                details={"tally": outcome.tally},
            )
        )

    def _audit_execution(
        self, plan: Plan, requester: Principal, execution: ExecutionReport, *, approvers: list[str]
    ) -> None:
        for step in execution.steps:
            metrics.record_execution(
                operation=step.operation,
                result=step.result.status.value,
                seconds=step.result.duration_ms / 1000,
            )
        self.audit.record(
            AuditEntry(
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
        )
