"""OpsService: the thin front every chat front end calls. It wires the parts and routes:

- request -> Intake (parser, LLM planner) -> Submission (Decider, run a read / store a write)
- vote, withdrawal, undo, expiry, interrupted runs -> ApprovalFlow
Everything that can go wrong comes back as a reply with a clear text, never as an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from bot import metrics
from bot.approvals.models import PendingApproval
from bot.approvals.store import ApprovalStore
from bot.audit import AuditLog
from bot.executor import Executor
from bot.models import Request
from bot.plan import Plan
from bot.planning.base import Inventory, Planner
from bot.replies import DuplicateReply, RateLimitedReply, Reply
from bot.service.approval_flow import ApprovalFlow
from bot.service.claims import EventClaims
from bot.service.decider import Decider
from bot.service.intake import Intake
from bot.service.lookups import PolicedLookups
from bot.service.ports import PolicySource, PrincipalResolver, RateLimiter
from bot.service.runs import AuditedRuns
from bot.service.submission import Submission


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OpsService:
    """Implements ChatService (bot/service/contract.py), the contract front ends code against."""

    def __init__(
        self,
        *,
        policy: PolicySource,
        store: ApprovalStore,
        executor: Executor,
        audit: AuditLog,
        planner: Planner | None = None,
        inventory: Inventory | None = None,
        request_limiter: RateLimiter | None = None,
        llm_rate_limiter: RateLimiter | None = None,
        enabled_operations: frozenset[str] = frozenset(),
        default_context: str | None = None,
        max_pending_per_user: int | None = None,
        pending_caps: Mapping[str, int] | None = None,
        clock: Callable[[], datetime] | None = None,
        principals: PrincipalResolver | None = None,
    ) -> None:
        """`request_limiter`: every request of a user counts (reads, writes, help, plain
        language); `llm_rate_limiter`: plain-language requests only (they cost model calls).
        `principals`: the chat platform's current groups of a user (Slack: its UserDirectory);
        approvals are counted and re-evaluated with them. Default: principals as given.
        `pending_caps`: a principal id's own pending-plan cap (service principals)."""
        clock = clock or _utc_now
        self.store = store
        self.audit = audit
        self.executor = executor
        self.request_limiter = request_limiter
        self.decider = Decider(
            policy=policy,
            clock=clock,
            enabled_operations=enabled_operations,
            default_context=default_context,
            principals=principals,
        )
        runs = AuditedRuns(executor=executor, audit=audit)
        self.claims = EventClaims(store)
        self.submission = Submission(
            decider=self.decider,
            runs=runs,
            executor=executor,
            store=store,
            audit=audit,
            clock=clock,
            max_pending_per_user=max_pending_per_user,
            pending_caps=pending_caps,
        )
        self.intake = Intake(
            decider=self.decider,
            audit=audit,
            lookups=PolicedLookups(decider=self.decider, runs=runs, audit=audit),
            planner=planner,
            inventory=inventory,
            rate_limiter=llm_rate_limiter,
        )
        self.approvals = ApprovalFlow(
            decider=self.decider,
            store=store,
            audit=audit,
            runs=runs,
            submission=self.submission,
            claims=self.claims,
            clock=clock,
        )
        # the chat front end's entry points, routed to the part that owns them
        self.vote = self.approvals.vote
        self.withdraw_vote = self.approvals.withdraw_vote
        self.request_undo = self.approvals.request_undo
        self.attach_message = self.approvals.attach_message
        self.approval_for_message = self.approvals.approval_for_message
        self.expire_due = self.approvals.expire_due
        self.recover_interrupted = self.approvals.recover_interrupted
        self.retry_unfinished = self.approvals.retry_unfinished

    def pending_approvals(self) -> list[PendingApproval]:
        return self.store.list_pending()

    def handle_request(self, request: Request) -> Reply:
        if request.event_id and not self.claims.first(
            f"req:{request.event_id}", owner=request.delivery
        ):
            return DuplicateReply()
        metrics.record_request(request.source)
        if self.request_limiter is not None:
            within_limit, retry_after = self.request_limiter.allow(request.principal.id)
            if not within_limit:
                return RateLimitedReply(
                    text=f"You are sending requests too fast: try again in {retry_after} s",
                    retry_after_seconds=retry_after,
                )
        requester = self.decider.effective(request.principal)
        planned = self.intake.plan(request, requester)
        if not isinstance(planned, Plan):
            return planned
        return self.submission.submit(planned, requester=requester, request=request)
