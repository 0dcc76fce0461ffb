"""A plan on its way in (from a request or an undo): police it, run it at once when it is an
allowed read, or preview it and store it to wait for votes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot import metrics
from bot.approvals.errors import InvalidTransition, TooManyPending
from bot.approvals.models import PendingApproval
from bot.approvals.store import ApprovalStore, StoreUnavailable
from bot.audit import AuditLog
from bot.executor import Executor
from bot.models import Principal, Request
from bot.plan import Plan
from bot.policy.decision import Decision, Outcome
from bot.replies import (
    DeniedReply,
    DuplicateReply,
    ErrorReply,
    InvalidReply,
    NeedsApprovalReply,
    Reply,
    ResultReply,
)
from bot.service import audit_records
from bot.service.decider import Decider
from bot.service.replying import rendered
from bot.service.runs import AuditedRuns


class Submission:
    def __init__(
        self,
        *,
        decider: Decider,
        runs: AuditedRuns,
        executor: Executor,
        store: ApprovalStore,
        audit: AuditLog,
        clock: Callable[[], datetime],
        max_pending_per_user: int | None = None,
        pending_caps: Mapping[str, int] | None = None,
    ) -> None:
        """`pending_caps`: a principal id's own cap instead of `max_pending_per_user` (service
        principals such as the Alertmanager receiver's)."""
        self.decider = decider
        self.runs = runs
        self.executor = executor
        self.store = store
        self.audit = audit
        self.clock = clock
        self.max_pending_per_user = max_pending_per_user
        self.pending_caps = dict(pending_caps or {})

    def submit(self, plan: Plan, *, requester: Principal, request: Request) -> Reply:
        """Police a plan; run it at once when it is an allowed read, else store it for votes."""
        plan = self.decider.in_context(plan)
        decision = self.decider.decide(plan, requester)
        metrics.record_plan(decision.outcome)
        self.audit.record(audit_records.decision(plan, requester, decision))
        if decision.outcome == Outcome.DENY:
            return rendered(DeniedReply(text="", plan=plan, decision=decision))
        if decision.outcome == Outcome.ALLOW:
            execution = self.runs.run(plan, requester)
            return rendered(ResultReply(text="", plan=plan, decision=decision, execution=execution))
        return self._store_for_approval(plan, requester, request, decision)

    def _store_for_approval(
        self, plan: Plan, requester: Principal, request: Request, decision: Decision
    ) -> Reply:
        approval_id = approval_id_for(request)
        if request.event_id:
            try:
                existing = self.store.get(approval_id)
            except StoreUnavailable:
                existing = None  # create() below fails closed if the store is still away
            if existing is not None:
                return self._again(existing, decision)
        now = self.clock()
        ttl = decision.ttl_seconds or 900
        approval = PendingApproval(
            id=approval_id,
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
        approval = approval.model_copy(update={"previews": previews})
        failed = [p for p in previews if p.dry_run_ok is False]
        if failed:
            # Asking people to approve a change the server already refused wastes their time.
            lines = [f"- {p.description}: {p.dry_run_error or p.note}" for p in failed]
            return InvalidReply(
                text="The dry run failed, so nothing was put up for approval:\n" + "\n".join(lines),
            )
        try:
            cap = self.pending_caps.get(requester.id, self.max_pending_per_user)
            self.store.create(approval, max_pending=cap)
        except TooManyPending as exc:
            return InvalidReply(
                text=f"You have {exc.pending} plans waiting for approval: cancel one or wait "
                "for them to be approved, rejected or expire, then ask again. Nothing was stored.",
            )
        except StoreUnavailable as exc:
            return ErrorReply(
                plan=plan,
                text=f"The approval store is unavailable ({exc}); nothing was stored or run. "
                "Try again when Redis is back.",
            )
        except InvalidTransition:  # created meanwhile under the same request (a re-entry)
            existing = self.store.get(approval.id)
            return self._again(existing, decision) if existing else DuplicateReply()
        self.audit.record(
            audit_records.approval_created(
                plan, requester, approval_id=approval.id, expires_at=approval.expires_at
            )
        )
        return rendered(
            NeedsApprovalReply(
                text="",
                plan=plan,
                decision=decision,
                previews=previews,
                approval_id=approval.id,
                expires_at=approval.expires_at,
            )
        )

    def _again(self, existing: PendingApproval, decision: Decision) -> Reply:
        """The same request handled again (its worker died after storing the plan): show the
        stored plan if its preview was never posted, else nothing (it is in the thread)."""
        if existing.message is not None:
            return DuplicateReply()
        return rendered(
            NeedsApprovalReply(
                text="",
                plan=existing.plan,
                decision=decision,
                previews=existing.previews,
                approval_id=existing.id,
                expires_at=existing.expires_at,
            )
        )


def approval_id_for(request: Request) -> str:
    """A request with an event id (chat) always names the same approval, so handling it a
    second time finds the first one instead of storing the plan twice."""
    if not request.event_id:
        return uuid.uuid4().hex[:16]
    seed = f"{request.source}:{request.event_id}".encode()
    return hashlib.sha256(seed).hexdigest()[:16]
