"""The approval flow: votes, withdrawals, rejections, exactly-once execution, undo, expiry
and plans interrupted mid-run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from bot import metrics
from bot.approvals.clock import to_micros
from bot.approvals.counting import count_and_start
from bot.approvals.errors import ApprovalNotFound, InvalidTransition
from bot.approvals.models import (
    ApprovalState,
    Ballot,
    Executed,
    Interrupted,
    PendingApproval,
    VoteOutcome,
    VoteResult,
)
from bot.approvals.store import ApprovalStore, StoreUnavailable
from bot.audit import AuditLog
from bot.models import MessageRef, Principal, Request
from bot.policy.decision import ApprovalRequirement, Decision, Outcome
from bot.render import render_execution
from bot.replies import (
    DuplicateReply,
    ExecutionReport,
    InvalidReply,
    PlanExecuted,
    PlanRefused,
    Reply,
    VoteAnswered,
    VoteIgnored,
    VoteReply,
)
from bot.service import audit_records
from bot.service.claims import EventClaims
from bot.service.decider import Decider
from bot.service.runs import AuditedRuns
from bot.service.submission import Submission

log = logging.getLogger("opsbot.service")


class ApprovalFlow:
    def __init__(
        self,
        *,
        decider: Decider,
        store: ApprovalStore,
        audit: AuditLog,
        runs: AuditedRuns,
        submission: Submission,
        claims: EventClaims,
        clock: Callable[[], datetime],
    ) -> None:
        self.decider = decider
        self.store = store
        self.audit = audit
        self.runs = runs
        self.submission = submission
        self.claims = claims
        self.clock = clock
        # approval id -> (state, report) of runs whose finish() the store could not take yet
        self._unfinished: dict[str, tuple[ApprovalState, ExecutionReport]] = {}

    def attach_message(self, approval_id: str, message: MessageRef) -> None:
        self.store.bind_message(approval_id, message)

    def approval_for_message(self, message: MessageRef) -> PendingApproval | None:
        """The approval shown in `message`, its ballots counted under the policy in force."""
        approval_id = self.store.find_by_message(message)
        return self._current_view(approval_id) if approval_id else None

    def vote(
        self,
        *,
        message: MessageRef,
        voter: Principal,
        approve: bool,
        event_id: str | None = None,
        delivery: str | None = None,
        event_time: datetime | None = None,
        on_executing: Callable[[PendingApproval], None] | None = None,
        shown_digest: str | None = None,
    ) -> VoteReply:
        """Record a vote and, when the ballots meet the requirements of the policy in force
        NOW (requester's and voters' current groups), run the plan inside this call;
        `on_executing` is told just before. `event_time`: the platform's time of the event
        (orders a voter's approve and withdrawal; default: now). `shown_digest`: the digest
        of the plan the voter saw; a different one never counts."""
        try:
            if not approve:
                if event_id and not self.claims.first(f"vote:{event_id}", owner=delivery):
                    return VoteIgnored(result=VoteResult.DUPLICATE_EVENT)
                return self._reject(message, voter, digest=shown_digest)
            return self._approve(
                message,
                voter,
                event_key=f"vote:{event_id}" if event_id else None,
                event_owner=delivery,
                at_us=to_micros(event_time or self.clock()),
                on_executing=on_executing,
                shown_digest=shown_digest,
            )
        except StoreUnavailable as exc:
            return _not_recorded(exc)

    def withdraw_vote(
        self,
        *,
        message: MessageRef,
        voter: Principal,
        event_id: str | None = None,
        delivery: str | None = None,
        event_time: datetime | None = None,
    ) -> VoteReply:
        """Withdraw a vote. Kept as a ballot with its event time, so an approve event that is
        older but processed later (a retry, another replica) cannot revive the vote."""
        try:
            approval = self._find(message)
            if approval is None:
                return VoteIgnored(result=VoteResult.NOT_FOUND)
            outcome = self.store.record_ballot(
                approval.id,
                ballot=Ballot(
                    voter=voter, approve=False, at_us=to_micros(event_time or self.clock())
                ),
                digest=None,
                now=self.clock(),
                event_key=f"unvote:{event_id}" if event_id else None,
                event_owner=delivery,
            )
        except StoreUnavailable as exc:
            return _not_recorded(exc)
        if outcome.result is VoteResult.DUPLICATE_EVENT:
            return VoteIgnored(result=VoteResult.DUPLICATE_EVENT)
        view = self._current_view(approval.id)
        outcome = outcome.model_copy(update={"tally": view.tally() if view else []})
        self.audit.record(audit_records.vote(approval, voter, outcome))
        return _answered(outcome, text=_vote_text(outcome, view or approval), approval=view)

    def _find(self, message: MessageRef) -> PendingApproval | None:
        approval_id = self.store.find_by_message(message)
        return self.store.get(approval_id) if approval_id else None

    def _current_requirements(
        self, approval: PendingApproval
    ) -> tuple[Decision, list[ApprovalRequirement]]:
        """The policy's decision on this plan NOW, for the requester's current groups, and the
        requirements to count under (the stored ones when the policy denies)."""
        decision = self.decider.decide(approval.plan, self.decider.current(approval.requester))
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            return decision, decision.requirements
        return decision, approval.requirements

    def _current_view(self, approval_id: str) -> PendingApproval | None:
        stored = self.store.get(approval_id)
        if stored is None:
            return None
        _, requirements = self._current_requirements(stored)
        return stored.counted(requirements, self.decider.current)

    def _approve(
        self,
        message: MessageRef,
        voter: Principal,
        *,
        event_key: str | None,
        event_owner: str | None,
        at_us: int,
        on_executing: Callable[[PendingApproval], None] | None,
        shown_digest: str | None,
    ) -> VoteReply:
        approval = self._find(message)
        if approval is None:
            return VoteIgnored(result=VoteResult.NOT_FOUND)
        current = self.decider.current
        decision, requirements = self._current_requirements(approval)
        if decision.outcome is Outcome.DENY and approval.state is ApprovalState.PENDING:
            return self._refuse_by_policy(approval, current(voter), decision)
        admitted = [
            r for r in requirements if r.admits(current(voter), current(approval.requester))
        ]
        if not admitted and approval.state is ApprovalState.PENDING:
            return self._refuse_vote(approval, current(voter), requirements)
        outcome = self.store.record_ballot(
            approval.id,
            ballot=Ballot(voter=voter, approve=True, at_us=at_us),
            digest=shown_digest or approval.digest,
            now=self.clock(),
            event_key=event_key,
            event_owner=event_owner,
        )
        if outcome.result is VoteResult.DUPLICATE_EVENT:
            return VoteIgnored(result=VoteResult.DUPLICATE_EVENT)
        # A repeated approval is counted again: the requirements may have been lowered since,
        # or a failover may have cut off the count after the ballot was stored.
        repeated = outcome.result is VoteResult.DUPLICATE
        if outcome.result not in (VoteResult.RECORDED, VoteResult.DUPLICATE):
            self.audit.record(audit_records.vote(approval, voter, outcome))
            view = self._current_view(approval.id)
            return _answered(outcome, text=_vote_text(outcome, view or approval), approval=view)
        counted = count_and_start(
            self.store,
            approval.id,
            requirements=requirements,
            current=current,
            by=voter.id,
            now=self.clock(),
        )
        outcome = counted.outcome
        recorded = (
            outcome.model_copy(
                update={"result": VoteResult.DUPLICATE if repeated else VoteResult.RECORDED}
            )
            if outcome.result is not VoteResult.EXECUTE
            else outcome
        )
        self.audit.record(audit_records.vote(approval, voter, recorded))
        if outcome.result is not VoteResult.EXECUTE or counted.approval is None:
            changed = requirements != approval.requirements
            text = _vote_text(recorded, counted.approval or approval)
            return _answered(
                recorded,
                text=text,
                approval=counted.approval,
                thread_notice=_policy_changed_text(counted.approval) if changed else "",
            )
        return self._execute_approved(counted.approval, on_executing=on_executing)

    def _refuse_by_policy(
        self, approval: PendingApproval, voter: Principal, decision: Decision
    ) -> VoteReply:
        """The policy in force now denies the plan: close it (refused) and say why."""
        outcome = self.store.refuse(approval.id, by=voter.id, reasons=decision.reasons)
        text = "Not run: the policy in force now denies this plan:\n" + "\n".join(
            f"  - {reason}" for reason in decision.reasons
        )
        if outcome.result is VoteResult.REFUSED:
            self.audit.record(
                audit_records.closed(
                    approval,
                    event="refused",
                    outcome=ApprovalState.REFUSED.value,
                    reasons=decision.reasons,
                )
            )
        else:
            text = _vote_text(outcome, approval)
        if outcome.result is VoteResult.REFUSED:
            return PlanRefused(text=text, approval=self.store.get(approval.id))
        return _answered(outcome, text=text, approval=self.store.get(approval.id))

    def _reject(self, message: MessageRef, voter: Principal, *, digest: str | None) -> VoteReply:
        approval = self._find(message)
        if approval is None:
            return VoteIgnored(result=VoteResult.NOT_FOUND)
        voter = self.decider.current(voter)
        _, requirements = self._current_requirements(approval)
        requester = self.decider.current(approval.requester)
        may_reject = any(r.admits(voter, requester) for r in requirements)
        if not may_reject and voter.id != approval.requester.id:
            return self._refuse_vote(approval, voter, requirements)
        outcome = self.store.reject(
            approval.id, by=voter.id, digest=digest or approval.digest, now=self.clock()
        )
        self.audit.record(audit_records.vote(approval, voter, outcome))
        text = f"Rejected by {voter.display}." if outcome.result == VoteResult.REJECTED else ""
        return _answered(
            outcome,
            text=text or _vote_text(outcome, approval),
            approval=self.store.get(approval.id),
        )

    def _refuse_vote(
        self,
        approval: PendingApproval,
        voter: Principal,
        requirements: list[ApprovalRequirement],
    ) -> VoteReply:
        if voter.id == approval.requester.id:
            text = "You cannot approve your own request; another approver has to."
        else:
            who = sorted({g for r in requirements for g in r.approver_groups})
            users = sorted({u for r in requirements for u in r.approver_users})
            allowed = ", ".join([*(f"group {g}" for g in who), *users]) or "nobody"
            text = f"Your vote does not count: approvers for this plan are {allowed}."
        self.audit.record(audit_records.vote_refused(approval, voter, text))
        return VoteAnswered(result=VoteResult.UNAUTHORIZED, text=text, approval=approval)

    def _execute_approved(
        self,
        approval: PendingApproval,
        *,
        on_executing: Callable[[PendingApproval], None] | None = None,
    ) -> VoteReply:
        """Only the one caller whose count moved the plan to executing gets here; the policy
        in force was evaluated just before (`_approve`)."""
        metrics.observe_approval_wait((self.clock() - approval.created_at).total_seconds())
        if on_executing is not None:
            try:
                on_executing(approval)
            except Exception:
                log.warning("on_executing hook failed", exc_info=True)
        requester = self.decider.current(approval.requester)
        # audited inside run(), first: the write has happened even if the store cannot
        # record it now
        execution = self.runs.run(
            approval.plan, requester, approval_id=approval.id, approvers=list(approval.votes)
        )
        execution = self.decider.without_disabled_undo(execution)
        text = render_execution(execution)
        state = ApprovalState.DONE if execution.ok else ApprovalState.FAILED
        self._record_finish(approval.id, state=state, report=execution)
        return PlanExecuted(
            text=text,
            approval=approval.model_copy(update={"state": state}),
            state=state,
            execution=execution,
        )

    def request_undo(
        self,
        *,
        message: MessageRef,
        requester: Principal,
        event_id: str | None = None,
        delivery: str | None = None,
    ) -> Reply:
        if event_id and not self.claims.first(f"undo:{event_id}", owner=delivery):
            return DuplicateReply()
        approval = self.approval_for_message(message)
        if (
            approval is None
            or approval.state != ApprovalState.DONE
            or not isinstance(approval.outcome, Executed)
        ):
            return InvalidReply(text="Only a completed plan can be undone.")
        execution = approval.outcome.report
        if execution.undo_plan is None:
            return InvalidReply(text="That plan cannot be undone automatically.")
        requester = self.decider.current(requester)
        self.audit.record(
            audit_records.undo_requested(execution.undo_plan, requester, approval_id=approval.id)
        )
        request = Request(
            principal=requester,
            text=f"undo of {approval.id}: {execution.undo_plan.describe()}",
            source=message.platform,
            channel=approval.channel,
            thread=approval.thread,
            # the undo's plan is indexed by its event: a re-handled undo finds it again
            event_id=f"undo:{event_id}" if event_id else None,
        )
        return self.submission.submit(execution.undo_plan, requester=requester, request=request)

    def expire_due(self, *, platforms: Collection[str] | None = None) -> list[PendingApproval]:
        expired = self.store.expire_due(self.clock(), platforms=platforms)
        for approval in expired:
            self.audit.record(audit_records.closed(approval, event="expired"))
        return [a.counted(a.requirements, self.decider.current) for a in expired]

    def recover_interrupted(
        self, *, older_than_seconds: int = 900, platforms: Collection[str] | None = None
    ) -> list[PendingApproval]:
        """Mark plans left executing longer than `older_than_seconds` (their bot replica
        stopped mid-run) as failed, never re-running them, and return them so the adapter can
        tell their thread. Each is returned to exactly one caller across replicas."""
        self.retry_unfinished()  # results this replica could not record: never "interrupted"
        interrupted = self.store.interrupt_stale(
            self.clock(), older_than_seconds=older_than_seconds, platforms=platforms
        )
        for approval in interrupted:
            self.audit.record(
                audit_records.closed(
                    approval,
                    event="interrupted",
                    outcome=ApprovalState.FAILED.value,
                    reasons=[
                        approval.outcome.note
                        if isinstance(approval.outcome, Interrupted)
                        else Interrupted().note
                    ],
                )
            )
        return interrupted

    def _record_finish(
        self, approval_id: str, *, state: ApprovalState, report: ExecutionReport
    ) -> None:
        """executing -> done|failed. If the store is away, keep the result here and record it
        at the next sweep (`retry_unfinished`), so the plan is never reported "interrupted"
        while this replica knows its real result (the voter and the audit log have it now)."""
        try:
            self.store.finish(approval_id, state=state, report=report)
        except StoreUnavailable:
            log.warning("could not record the result of %s yet; will retry", approval_id)
            self._unfinished[approval_id] = (state, report)
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
        for approval_id, (state, report) in list(self._unfinished.items()):
            try:
                self.store.finish(approval_id, state=state, report=report)
            except StoreUnavailable:
                break
            except (InvalidTransition, ApprovalNotFound):
                log.warning("result of %s could not be recorded", approval_id, exc_info=True)
            del self._unfinished[approval_id]
        return len(self._unfinished)


def _not_recorded(exc: StoreUnavailable) -> VoteReply:
    log.warning("vote not recorded: %s", exc)
    return VoteAnswered(
        result=VoteResult.UNAVAILABLE,
        text="Your vote was NOT recorded: the approval store is unavailable right now. "
        "Remove your reaction and add it again in a minute (or retry the command).",
    )


def _answered(
    outcome: VoteOutcome,
    *,
    text: str,
    approval: PendingApproval | None,
    thread_notice: str = "",
) -> VoteReply:
    """A vote that ran nothing. No plan or no vote to act on (NOT_FOUND; a redelivered event
    is caught before) is ignored, as the front ends always did."""
    if outcome.result in (VoteResult.NOT_FOUND, VoteResult.DUPLICATE_EVENT):
        return VoteIgnored(result=outcome.result)
    return VoteAnswered(
        result=outcome.result,
        text=text,
        thread_notice=thread_notice,
        approval=approval,
        state=outcome.state,
    )


def _still_needed(approval: PendingApproval) -> str:
    parts = []
    for req, more in approval.missing():
        who = [*(f"@{g}" for g in sorted(req.approver_groups)), *sorted(req.approver_users)]
        parts.append(f"{more} more from {' or '.join(who) or 'nobody'} ({req.rule})")
    return "; ".join(parts)


def _policy_changed_text(approval: PendingApproval | None) -> str:
    if approval is None or not approval.missing():
        return ""
    return (
        "The approval policy changed while this plan waited; counted under the policy in "
        f"force now, it still needs {_still_needed(approval)}."
    )


def _vote_text(outcome: VoteOutcome, approval: PendingApproval) -> str:
    match outcome.result:
        case VoteResult.RECORDED | VoteResult.WITHDRAWN:
            needed = ", ".join(
                f"{have}/{req.count}"
                for have, req in zip(approval.tally(), approval.requirements, strict=False)
            )
            missing = _still_needed(approval)
            return f"Approvals: {needed}." + (f" Still needed: {missing}." if missing else "")
        case VoteResult.STALE:
            return "A newer reaction of yours was already counted; this older one is ignored."
        case VoteResult.REFUSED:
            return "This request was refused: the policy in force now denies it."
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
