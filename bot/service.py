"""The orchestration: request -> plan -> policy -> preview -> approval -> exactly-once execution.

Chat adapters call these methods and render the replies; they decide nothing themselves.
Everything that can go wrong comes back as a Reply with a clear text, never as an exception.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import metrics
from bot.approvals.models import ApprovalState, PendingApproval, VoteOutcome, VoteResult
from bot.approvals.store import ApprovalStore, StoreUnavailable
from bot.audit import AuditEntry, AuditLog
from bot.catalog import Operation, Risk
from bot.config import Settings
from bot.executor import Executor
from bot.models import MessageRef, Principal, Request
from bot.plan import Plan
from bot.planning.base import Inventory, Planner
from bot.policy.decision import Decision, Outcome
from bot.render import render_execution, render_reply_text
from bot.replies import ExecutionReport, Reply, ReplyKind, VoteReply

log = logging.getLogger("opsbot.service")

# Who the LLM planner is working for while it runs: its read lookups act as that person.
_acting_for: ContextVar[Principal | None] = ContextVar("opsbot_acting_for", default=None)


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


class OpsService:
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
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> OpsService:
        """Real backends, Redis store when REDIS_URL is set (see bot.wiring)."""
        from bot.wiring import build

        return build(settings).service

    # ------------------------------------------------------------------ requests
    def handle_request(self, request: Request) -> Reply:
        if request.event_id and not self._claim(f"req:{request.event_id}"):
            return Reply(kind=ReplyKind.DUPLICATE, text="")
        metrics.record_request(request.source)
        requester = self.policy.effective_principal(request.principal)
        planned = self._plan(request, requester)
        if isinstance(planned, Reply):
            return planned
        return self.submit_plan(planned, requester=requester, request=request)

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

    def _plan(self, request: Request, requester: Principal) -> Plan | Reply:
        from bot.parsing import HelpRequested, NotACommand, Parsed, ParseError, parse_command

        parsed = parse_command(request.text)
        if isinstance(parsed, Parsed):
            return parsed.plan
        if isinstance(parsed, HelpRequested):
            return Reply(kind=ReplyKind.HELP, text=parsed.text)
        if self.planner is None or self.inventory is None:
            if isinstance(parsed, ParseError):
                return self._reply(ReplyKind.INVALID, text=parsed.message, usage=parsed.usage)
            assert isinstance(parsed, NotACommand)
            return self._reply(
                ReplyKind.INVALID,
                text="I understand explicit commands only (no LLM is configured). "
                "Try `help` for the list, e.g. `scale deploy/web --replicas 5 -n prod`.",
            )
        return self._plan_with_llm(request, requester)

    def _plan_with_llm(self, request: Request, requester: Principal) -> Plan | Reply:
        assert self.planner is not None and self.inventory is not None
        if self.rate_limiter is not None:
            within_limit, retry_after = self.rate_limiter.allow(requester.id)
            if not within_limit:
                return self._reply(
                    ReplyKind.INVALID,
                    text=f"You have sent many plain-language requests; try again in {retry_after}s "
                    "or use an explicit command (`help`).",
                )
        allowed = self._readable_namespaces(requester)
        token = _acting_for.set(requester)
        try:
            outcome = self.planner.plan(
                request, requester=requester, inventory=self.inventory, allowed_namespaces=allowed
            )
        finally:
            _acting_for.reset(token)
        metrics.record_llm_usage(
            model=outcome.usage.model or "unknown",
            input_tokens=outcome.usage.prompt_tokens,
            output_tokens=outcome.usage.completion_tokens,
            cost_usd=outcome.usage.cost_usd,
        )
        self.audit.record(
            AuditEntry(
                event="llm_usage",
                requester=requester.id,
                plan_digest=outcome.plan.digest if outcome.plan else None,
                details=outcome.usage.model_dump(),
            )
        )
        if outcome.plan is not None:
            problems = self._grounding_problems(
                outcome.plan.with_default_context(self.default_context), allowed
            )
            if problems:
                return self._reply(ReplyKind.INVALID, text="\n".join(problems))
            return outcome.plan
        text = outcome.answer or outcome.clarification or outcome.abstain_reason or outcome.error
        kind = ReplyKind.RESULT if outcome.answer else ReplyKind.INVALID
        if outcome.answer and outcome.evidence:
            text = f"{outcome.answer}\n\nEvidence: " + "; ".join(outcome.evidence)
        return self._reply(kind, text=text or "I could not turn that into a plan.")

    def _readable_namespaces(self, requester: Principal) -> list[str]:
        """Namespaces the requester may read: all the LLM is told about or may name."""
        assert self.inventory is not None
        try:
            namespaces = self.inventory.namespaces()
        except Exception:
            log.warning("could not list namespaces for the planner's scope", exc_info=True)
            return []
        if not namespaces:  # no Kubernetes backend: Docker-only scope
            return []
        readable = self.policy.readable_namespaces(
            requester, namespaces, now=self.clock(), context=self.default_context
        )
        # Whoever may read every namespace may also ask across all of them (health, -A).
        return ["*"] if set(readable) >= set(namespaces) else readable

    def _grounding_problems(self, plan: Plan, allowed: list[str]) -> list[str]:
        """Invariant 5, checked again here: an LLM plan naming anything that does not exist
        live, or outside the requester's readable namespaces, is never shown as executable."""
        from bot.planning.grounding import GroundingUnavailable, check_operation

        assert self.inventory is not None
        problems: list[str] = []
        try:
            for op in plan.steps:
                report = check_operation(op, inventory=self.inventory, allowed_namespaces=allowed)
                problems += report.problems + report.out_of_scope
        except GroundingUnavailable as exc:
            problems.append(f"I could not check the plan's names against the cluster ({exc}).")
        return problems

    def planner_lookup(self, op: Operation) -> str:
        """The planner's read tool: a read, policed and run as the person it plans for."""
        requester = _acting_for.get()
        if requester is None or op.risk != Risk.READ:
            return "refused: lookups are read operations made on behalf of a requester"
        plan = Plan(steps=[op], source="llm")
        decision = self._decide(plan, requester)
        self._audit_decision(plan, requester, decision)
        if decision.outcome != Outcome.ALLOW:
            return "refused by policy: " + "; ".join(decision.reasons)
        execution = self.executor.run(plan, actor=requester)
        self._audit_execution(plan, requester, execution, approvers=[])
        return render_execution(execution)

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
            requester=requester,
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
            self.store.create(approval)
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

    # ------------------------------------------------------------------ approvals
    def attach_message(self, approval_id: str, message: MessageRef) -> None:
        self.store.bind_message(approval_id, message)

    def approval_for_message(self, message: MessageRef) -> PendingApproval | None:
        approval_id = self.store.find_by_message(message)
        return self.store.get(approval_id) if approval_id else None

    def vote(
        self, *, message: MessageRef, voter: Principal, approve: bool, event_id: str | None = None
    ) -> VoteReply:
        if event_id and not self._claim(f"vote:{event_id}"):
            return VoteReply(result=VoteResult.DUPLICATE_EVENT, text="")
        approval = self.approval_for_message(message)
        if approval is None:
            return VoteReply(result=VoteResult.NOT_FOUND, text="")
        voter = self.policy.effective_principal(voter)
        counts_for = [
            i
            for i, req in enumerate(approval.requirements)
            if req.admits(voter, approval.requester)
        ]
        if not approve:
            return self._reject(approval, voter, may_reject=bool(counts_for))
        if not counts_for:
            return self._refuse_vote(approval, voter)
        outcome = self.store.vote(
            approval.id,
            voter_id=voter.id,
            digest=approval.digest,
            counts_for=counts_for,
            now=self.clock(),
        )
        self._audit_vote(approval, voter, outcome)
        if outcome.result != VoteResult.EXECUTE:
            return VoteReply(
                result=outcome.result,
                text=_vote_text(outcome, approval),
                approval=self.store.get(approval.id),
                state=outcome.state,
            )
        return self._execute_approved(approval)

    def withdraw_vote(
        self, *, message: MessageRef, voter: Principal, event_id: str | None = None
    ) -> VoteReply:
        if event_id and not self._claim(f"unvote:{event_id}"):
            return VoteReply(result=VoteResult.DUPLICATE_EVENT, text="")
        approval = self.approval_for_message(message)
        if approval is None:
            return VoteReply(result=VoteResult.NOT_FOUND, text="")
        outcome = self.store.withdraw(approval.id, voter_id=voter.id)
        self._audit_vote(approval, voter, outcome)
        return VoteReply(
            result=outcome.result,
            text=_vote_text(outcome, approval),
            approval=self.store.get(approval.id),
            state=outcome.state,
        )

    def _reject(
        self, approval: PendingApproval, voter: Principal, *, may_reject: bool
    ) -> VoteReply:
        if not may_reject and voter.id != approval.requester.id:
            return self._refuse_vote(approval, voter)
        outcome = self.store.reject(
            approval.id, by=voter.id, digest=approval.digest, now=self.clock()
        )
        self._audit_vote(approval, voter, outcome)
        text = f"Rejected by {voter.display}." if outcome.result == VoteResult.REJECTED else ""
        return VoteReply(
            result=outcome.result,
            text=text or _vote_text(outcome, approval),
            state=outcome.state,
            approval=self.store.get(approval.id),
        )

    def _refuse_vote(self, approval: PendingApproval, voter: Principal) -> VoteReply:
        if voter.id == approval.requester.id:
            text = "You cannot approve your own request; another approver has to."
        else:
            who = sorted({g for r in approval.requirements for g in r.approver_groups})
            users = sorted({u for r in approval.requirements for u in r.approver_users})
            allowed = ", ".join([*(f"group {g}" for g in who), *users]) or "nobody"
            text = f"Your vote does not count: approvers for this plan are {allowed}."
        self.audit.record(
            AuditEntry(
                event="vote_refused",
                requester=approval.requester.id,
                actor=voter.id,
                approval_id=approval.id,
                plan_digest=approval.digest,
                reasons=[text],
            )
        )
        return VoteReply(result=VoteResult.UNAUTHORIZED, text=text, approval=approval)

    def _execute_approved(self, approval: PendingApproval) -> VoteReply:
        """Only the one caller whose vote moved the plan to executing gets here."""
        fresh = self.store.get(approval.id) or approval
        metrics.observe_approval_wait((self.clock() - fresh.created_at).total_seconds())
        # Policy is checked again now: a freeze may have begun, or the policy changed, while
        # the plan waited for its approvers.
        decision = self._decide(fresh.plan, self.policy.effective_principal(fresh.requester))
        if decision.outcome == Outcome.DENY:
            execution = ExecutionReport(
                plan_digest=fresh.digest,
                approval_id=fresh.id,
                skipped=[step.describe() for step in fresh.plan.steps],
                ok=False,
            )
            text = "Approved, but not run: policy now denies it:\n" + "\n".join(
                f"  - {reason}" for reason in decision.reasons
            )
        else:
            execution = self.executor.run(fresh.plan, actor=fresh.requester, approval_id=fresh.id)
            text = render_execution(execution)
        state = ApprovalState.DONE if execution.ok else ApprovalState.FAILED
        # Audit first: the write has happened even if the store cannot record it now.
        self._audit_execution(fresh.plan, fresh.requester, execution, approvers=list(fresh.votes))
        self.store.finish(fresh.id, state=state, summary=execution.model_dump_json())
        return VoteReply(
            result=VoteResult.EXECUTE,
            text=text,
            approval=self.store.get(fresh.id),
            state=state,
            execution=execution,
        )

    def request_undo(
        self, *, message: MessageRef, requester: Principal, event_id: str | None = None
    ) -> Reply:
        if event_id and not self._claim(f"undo:{event_id}"):
            return Reply(kind=ReplyKind.DUPLICATE, text="")
        approval = self.approval_for_message(message)
        if approval is None or approval.state != ApprovalState.DONE or not approval.result_summary:
            return self._reply(ReplyKind.INVALID, text="Only a completed plan can be undone.")
        execution = ExecutionReport.model_validate_json(approval.result_summary)
        if execution.undo_plan is None:
            return self._reply(ReplyKind.INVALID, text="That plan cannot be undone automatically.")
        requester = self.policy.effective_principal(requester)
        self.audit.record(
            AuditEntry(
                event="undo_requested",
                requester=requester.id,
                approval_id=approval.id,
                plan_digest=execution.undo_plan.digest,
                plan=execution.undo_plan.describe(),
            )
        )
        request = Request(
            principal=requester,
            text=f"undo of {approval.id}: {execution.undo_plan.describe()}",
            source=message.platform,
            channel=approval.channel,
            thread=approval.thread,
        )
        return self.submit_plan(execution.undo_plan, requester=requester, request=request)

    def expire_due(self) -> list[PendingApproval]:
        expired = self.store.expire_due(self.clock())
        for approval in expired:
            self.audit.record(
                AuditEntry(
                    event="expired",
                    requester=approval.requester.id,
                    approval_id=approval.id,
                    plan_digest=approval.digest,
                    plan=approval.plan.describe(),
                )
            )
        return expired

    # ------------------------------------------------------------------ helpers
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


def _vote_text(outcome: VoteOutcome, approval: PendingApproval) -> str:
    match outcome.result:
        case VoteResult.RECORDED | VoteResult.WITHDRAWN:
            needed = ", ".join(
                f"{have}/{req.count}"
                for have, req in zip(outcome.tally, approval.requirements, strict=False)
            )
            return f"Approvals: {needed}."
        case VoteResult.EXPIRED:
            return "This request has expired; ask again if it is still needed."
        case VoteResult.NOT_PENDING:
            return f"This request is already {outcome.state.value if outcome.state else 'closed'}."
        case VoteResult.DIGEST_MISMATCH:
            return "The plan changed after it was shown; this vote does not count."
        case VoteResult.DUPLICATE:
            return "You have already approved this request."
        case _:
            return ""
