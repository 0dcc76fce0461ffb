"""An in-process approval store for the single-process console: the same semantics as
RedisApprovalStore, with one lock making each transition atomic. Nothing survives a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from datetime import datetime

from bot.approvals.clock import to_epoch
from bot.approvals.errors import ApprovalNotFound, InvalidTransition, TooManyPending
from bot.approvals.models import (
    ApprovalState,
    Ballot,
    Executed,
    Interrupted,
    PendingApproval,
    Refused,
    VoteOutcome,
    VoteResult,
)
from bot.models import MessageRef
from bot.run_report import ExecutionReport


class MemoryApprovalStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._approvals: dict[str, PendingApproval] = {}
        self._messages: dict[str, str] = {}
        self._events: dict[str, tuple[float, str]] = {}  # key -> (expiry, owner)
        self._executing_since: dict[str, float] = {}  # approval id -> epoch it began executing

    def _outcome(self, result: VoteResult, approval: PendingApproval | None) -> VoteOutcome:
        if approval is None:
            return VoteOutcome(result=result)
        return VoteOutcome(result=result, state=approval.state)

    def _settle(self, approval: PendingApproval, state: ApprovalState, by: str | None) -> None:
        approval.state = state
        if by is not None:
            approval.decided_by = by

    def create(self, approval: PendingApproval, *, max_pending: int | None = None) -> None:
        if approval.state is not ApprovalState.PENDING or approval.votes or approval.ballots:
            raise InvalidTransition(
                f"create() takes a fresh pending approval without votes; {approval.id} is "
                f"{approval.state} with {len(approval.ballots)} ballot(s)"
            )
        with self._lock:
            if approval.id in self._approvals:
                raise InvalidTransition(f"an approval with id {approval.id} already exists")
            if max_pending is not None:
                moment = to_epoch(approval.created_at)
                pending = sum(
                    1
                    for a in self._approvals.values()
                    if a.requester.id == approval.requester.id
                    and a.state is ApprovalState.PENDING
                    and to_epoch(a.expires_at) > moment
                )
                if pending >= max_pending:
                    raise TooManyPending(pending)
            self._approvals[approval.id] = approval.model_copy(deep=True)
            if approval.message is not None:
                self._messages[approval.message.key] = approval.id

    def get(self, approval_id: str) -> PendingApproval | None:
        with self._lock:
            approval = self._approvals.get(approval_id)
            return None if approval is None else approval.model_copy(deep=True)

    def bind_message(self, approval_id: str, message: MessageRef) -> None:
        with self._lock:
            approval = self._approvals.get(approval_id)
            if approval is None:
                raise ApprovalNotFound(f"cannot bind a message: no approval {approval_id}")
            old = approval.message
            if (
                old is not None
                and old.key != message.key
                and self._messages.get(old.key) == approval_id
            ):
                del self._messages[old.key]
            approval.message = message
            self._messages[message.key] = approval_id

    def find_by_message(self, message: MessageRef) -> str | None:
        with self._lock:
            return self._messages.get(message.key)

    def record_ballot(
        self,
        approval_id: str,
        *,
        ballot: Ballot,
        digest: str | None,
        now: datetime,
        event_key: str | None = None,
        event_owner: str | None = None,
    ) -> VoteOutcome:
        with self._lock:
            if event_key is not None and not self._claim_locked(event_key, 86400, event_owner):
                return self._outcome(VoteResult.DUPLICATE_EVENT, None)
            approval = self._approvals.get(approval_id)
            if approval is None:
                return self._outcome(VoteResult.NOT_FOUND, None)
            if approval.state is not ApprovalState.PENDING:
                return self._outcome(VoteResult.NOT_PENDING, approval)
            if ballot.approve:
                if digest is not None and approval.digest != digest:
                    return self._outcome(VoteResult.DIGEST_MISMATCH, approval)
                if to_epoch(approval.expires_at) <= to_epoch(now):
                    self._settle(approval, ApprovalState.EXPIRED, None)
                    return self._outcome(VoteResult.EXPIRED, approval)
            voter_id = ballot.voter.id
            before = approval.ballots.get(voter_id)
            if before is not None and before.at_us > ballot.at_us:
                return self._outcome(VoteResult.STALE, approval)
            approval.ballots[voter_id] = ballot
            approval.ballots_version += 1
            was_approve = before is not None and before.approve
            if ballot.approve:
                result = VoteResult.DUPLICATE if was_approve else VoteResult.RECORDED
            else:
                result = VoteResult.WITHDRAWN if was_approve else VoteResult.NOT_FOUND
            return self._outcome(result, approval)

    def try_execute(
        self, approval_id: str, *, ballots_version: int, by: str, now: datetime
    ) -> VoteOutcome:
        with self._lock:
            approval = self._approvals.get(approval_id)
            if approval is None:
                return self._outcome(VoteResult.NOT_FOUND, None)
            if approval.state is not ApprovalState.PENDING:
                return self._outcome(VoteResult.NOT_PENDING, approval)
            if to_epoch(approval.expires_at) <= to_epoch(now):
                self._settle(approval, ApprovalState.EXPIRED, None)
                return self._outcome(VoteResult.EXPIRED, approval)
            if approval.ballots_version != ballots_version:
                return self._outcome(VoteResult.STALE, approval)
            self._settle(approval, ApprovalState.EXECUTING, by)
            self._executing_since[approval_id] = to_epoch(now)
            return self._outcome(VoteResult.EXECUTE, approval)

    def reject(self, approval_id: str, *, by: str, digest: str, now: datetime) -> VoteOutcome:
        return self._close_as(
            approval_id, by=by, digest=digest, now=now, state=ApprovalState.REJECTED
        )

    def refuse(self, approval_id: str, *, by: str, reasons: list[str]) -> VoteOutcome:
        return self._close_as(
            approval_id,
            by=by,
            digest=None,
            now=None,
            state=ApprovalState.REFUSED,
            outcome=Refused(reasons=reasons),
        )

    def _close_as(
        self,
        approval_id: str,
        *,
        by: str,
        digest: str | None,
        now: datetime | None,
        state: ApprovalState,
        outcome: Refused | None = None,
    ) -> VoteOutcome:
        with self._lock:
            approval = self._approvals.get(approval_id)
            if approval is None:
                return self._outcome(VoteResult.NOT_FOUND, None)
            if approval.state is not ApprovalState.PENDING:
                return self._outcome(VoteResult.NOT_PENDING, approval)
            if digest is not None and approval.digest != digest:
                return self._outcome(VoteResult.DIGEST_MISMATCH, approval)
            if now is not None and to_epoch(approval.expires_at) <= to_epoch(now):
                self._settle(approval, ApprovalState.EXPIRED, None)
                return self._outcome(VoteResult.EXPIRED, approval)
            self._settle(approval, state, by)
            approval.outcome = outcome
            return self._outcome(VoteResult(state.value), approval)

    def finish(self, approval_id: str, *, state: ApprovalState, report: ExecutionReport) -> None:
        if state not in (ApprovalState.DONE, ApprovalState.FAILED):
            raise InvalidTransition(f"finish() takes done or failed, not {state}")
        with self._lock:
            approval = self._approvals.get(approval_id)
            if approval is None:
                raise ApprovalNotFound(f"cannot finish: no approval {approval_id}")
            if approval.state is not ApprovalState.EXECUTING:
                raise InvalidTransition(
                    f"cannot finish approval {approval_id}: it is {approval.state}, not executing"
                )
            approval.state = state
            approval.outcome = Executed(report=report)
            self._executing_since.pop(approval_id, None)

    def expire_due(
        self, now: datetime, *, platforms: Collection[str] | None = None
    ) -> list[PendingApproval]:
        moment = to_epoch(now)
        with self._lock:
            moved = []
            for approval in self._approvals.values():
                if (
                    approval.state is ApprovalState.PENDING
                    and to_epoch(approval.expires_at) <= moment
                    and _serves(approval, platforms)
                ):
                    self._settle(approval, ApprovalState.EXPIRED, None)
                    moved.append(approval.model_copy(deep=True))
            return moved

    def interrupt_stale(
        self,
        now: datetime,
        *,
        older_than_seconds: int,
        platforms: Collection[str] | None = None,
    ) -> list[PendingApproval]:
        cutoff = to_epoch(now) - older_than_seconds
        with self._lock:
            moved = []
            for approval_id, since in sorted(self._executing_since.items(), key=lambda i: i[1]):
                if since >= cutoff:
                    continue
                approval = self._approvals.get(approval_id)
                if approval is None or approval.state is not ApprovalState.EXECUTING:
                    del self._executing_since[approval_id]
                    continue
                if not _serves(approval, platforms):
                    continue
                del self._executing_since[approval_id]
                approval.state = ApprovalState.FAILED
                approval.outcome = Interrupted()
                moved.append(approval.model_copy(deep=True))
            return moved

    def list_pending(self) -> list[PendingApproval]:
        with self._lock:
            pending = [
                a.model_copy(deep=True)
                for a in self._approvals.values()
                if a.state is ApprovalState.PENDING
            ]
        return sorted(pending, key=lambda a: a.expires_at)

    def claim_event(self, key: str, *, ttl_seconds: int = 86400, owner: str | None = None) -> bool:
        with self._lock:
            return self._claim_locked(key, ttl_seconds, owner)

    def _claim_locked(self, key: str, ttl_seconds: int, owner: str | None = None) -> bool:
        now = time.monotonic()
        if len(self._events) > 10_000:
            self._events = {k: v for k, v in self._events.items() if v[0] > now}
        expiry, held_by = self._events.get(key, (0.0, ""))
        if expiry > now:
            return bool(owner) and held_by == owner
        self._events[key] = (now + ttl_seconds, owner or "")
        return True

    def ping(self) -> None:
        """Always reachable: it lives in this process."""


def _serves(approval: PendingApproval, platforms: Collection[str] | None) -> bool:
    """As the Redis scripts' `serves`: None serves all; an unposted preview is anyone's."""
    return platforms is None or approval.message is None or approval.message.platform in platforms
