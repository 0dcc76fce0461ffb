"""The approval flow: votes, rejections, exactly-once execution, undo and expiry."""

from __future__ import annotations

from collections.abc import Callable

from bot import metrics
from bot.approvals.errors import InvalidTransition
from bot.approvals.models import ApprovalState, PendingApproval, VoteOutcome, VoteResult
from bot.audit import AuditEntry
from bot.models import MessageRef, Principal, Request
from bot.policy.decision import Outcome
from bot.render import render_execution
from bot.replies import ExecutionReport, Reply, ReplyKind, VoteReply
from bot.service_base import ServiceBase, log


class ApprovalFlow(ServiceBase):
    def attach_message(self, approval_id: str, message: MessageRef) -> None:
        self.store.bind_message(approval_id, message)

    def approval_for_message(self, message: MessageRef) -> PendingApproval | None:
        approval_id = self.store.find_by_message(message)
        return self.store.get(approval_id) if approval_id else None

    def vote(
        self,
        *,
        message: MessageRef,
        voter: Principal,
        approve: bool,
        event_id: str | None = None,
        on_executing: Callable[[PendingApproval], None] | None = None,
        shown_digest: str | None = None,
    ) -> VoteReply:
        """Count a vote. When it completes the approval, the plan runs inside this call;
        `on_executing` is told just before (chat shows 'executing' while slow steps run).
        `shown_digest`: the digest of the plan the voter saw; a different one never counts."""
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
        digest = shown_digest or approval.digest
        if not approve:
            return self._reject(approval, voter, may_reject=bool(counts_for), digest=digest)
        if not counts_for:
            return self._refuse_vote(approval, voter)
        outcome = self.store.vote(
            approval.id,
            voter_id=voter.id,
            digest=digest,
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
        return self._execute_approved(approval, on_executing=on_executing)

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
        self, approval: PendingApproval, voter: Principal, *, may_reject: bool, digest: str
    ) -> VoteReply:
        if not may_reject and voter.id != approval.requester.id:
            return self._refuse_vote(approval, voter)
        outcome = self.store.reject(approval.id, by=voter.id, digest=digest, now=self.clock())
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

    def _execute_approved(
        self,
        approval: PendingApproval,
        *,
        on_executing: Callable[[PendingApproval], None] | None = None,
    ) -> VoteReply:
        """Only the one caller whose vote moved the plan to executing gets here."""
        fresh = self.store.get(approval.id) or approval
        metrics.observe_approval_wait((self.clock() - fresh.created_at).total_seconds())
        # Policy is checked again now: a freeze may have begun, or the policy changed, while
        # the plan waited for its approvers.
        decision = self._evaluate(fresh.plan, self.policy.effective_principal(fresh.requester))
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
            if on_executing is not None:
                try:
                    on_executing(fresh)
                except Exception:  # noqa: BLE001 - a display hook never stops an approved plan
                    log.warning("on_executing hook failed", exc_info=True)
            execution = self.executor.run(fresh.plan, actor=fresh.requester, approval_id=fresh.id)
            text = render_execution(execution)
        state = ApprovalState.DONE if execution.ok else ApprovalState.FAILED
        # Audit first: the write has happened even if the store cannot record it now.
        self._audit_execution(fresh.plan, fresh.requester, execution, approvers=list(fresh.votes))
        try:
            self.store.finish(fresh.id, state=state, summary=execution.model_dump_json())
        except InvalidTransition:
            # the run outlasted the interrupted-execution cutoff and another sweep already
            # marked it failed and told the thread; the audit entry above has the real result
            log.warning(
                "approval %s finished after it was marked interrupted; its result is in the "
                "audit log only",
                fresh.id,
                exc_info=True,
            )
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
            self._audit_closed(approval, event="expired")
        return expired

    def recover_interrupted(self, *, older_than_seconds: int = 900) -> list[PendingApproval]:
        """Mark plans left executing longer than `older_than_seconds` (their bot replica
        stopped mid-run) as failed, never re-running them, and return them so the adapter can
        tell their thread. Each is returned to exactly one caller across replicas."""
        interrupted = self.store.interrupt_stale(
            self.clock(), older_than_seconds=older_than_seconds
        )
        for approval in interrupted:
            self._audit_closed(
                approval,
                event="interrupted",
                outcome=ApprovalState.FAILED.value,
                reasons=[approval.result_summary or ""],
            )
        return interrupted


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
