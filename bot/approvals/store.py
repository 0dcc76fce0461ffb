"""The approval store protocol. RedisApprovalStore is the real one; MemoryApprovalStore serves
the single-process console. Every state transition is atomic in the store itself."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.approvals.models import ApprovalState, Ballot, PendingApproval, VoteOutcome
from bot.models import MessageRef
from bot.run_report import ExecutionReport


class StoreUnavailable(RuntimeError):
    """The store cannot be reached; callers fail closed (no write runs)."""


class ApprovalStore(Protocol):
    def create(self, approval: PendingApproval, *, max_pending: int | None = None) -> None:
        """Store a fresh pending approval. `max_pending`: raise TooManyPending instead when
        its requester already has that many pending, unexpired approvals (checked and
        created in one atomic step, so replicas cannot race past the cap)."""
        ...

    def get(self, approval_id: str) -> PendingApproval | None: ...

    def bind_message(self, approval_id: str, message: MessageRef) -> None:
        """Record the chat message that shows this plan; votes arrive by message."""
        ...

    def find_by_message(self, message: MessageRef) -> str | None: ...

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
        """Record a voter's approve or withdrawal, in one atomic step with the event claim
        (`event_key`: a failed call consumes nothing, a retried one answers DUPLICATE_EVENT;
        `event_owner`: the claim's owner, see claim_event).
        Per (approval, voter) the newest event time wins: a ballot older than the recorded one
        answers STALE and changes nothing. Approvals check `digest` and expiry. Results:
        RECORDED | DUPLICATE (approved again) | WITHDRAWN | NOT_FOUND (no approval; with a
        state: a withdrawal with no approve before it, kept anyway) | STALE | NOT_PENDING |
        DIGEST_MISMATCH | EXPIRED | DUPLICATE_EVENT. Never executes anything."""
        ...

    def try_execute(
        self, approval_id: str, *, ballots_version: int, by: str, now: datetime
    ) -> VoteOutcome:
        """pending -> executing, only if still pending, unexpired and its ballots are still at
        `ballots_version` (the ones the caller counted); EXECUTE goes to exactly one caller.
        Else STALE (re-read and count again) | NOT_PENDING | EXPIRED | NOT_FOUND."""
        ...

    def reject(self, approval_id: str, *, by: str, digest: str, now: datetime) -> VoteOutcome:
        """pending -> rejected (atomic). A requester withdrawing their own plan rejects it."""
        ...

    def refuse(self, approval_id: str, *, by: str, reasons: list[str]) -> VoteOutcome:
        """pending -> refused: the policy now denies the plan for `reasons` (atomic; the
        approval's outcome becomes Refused(reasons))."""
        ...

    def finish(self, approval_id: str, *, state: ApprovalState, report: ExecutionReport) -> None:
        """executing -> done | failed; the approval's outcome becomes Executed(report)."""
        ...

    def expire_due(
        self, now: datetime, *, platforms: Collection[str] | None = None
    ) -> list[PendingApproval]:
        """Move every pending approval past its expiry to expired, returning those moved.
        `platforms`: only approvals whose preview is on one of these (or on none); the others
        stay pending for the sweep of the deployment serving their platform. None: all."""
        ...

    def interrupt_stale(
        self,
        now: datetime,
        *,
        older_than_seconds: int,
        platforms: Collection[str] | None = None,
    ) -> list[PendingApproval]:
        """Move every approval that entered executing more than `older_than_seconds` before
        `now` and is still executing to failed (outcome Interrupted()), returning those
        moved; each is returned to exactly one caller. The plan is never run again.
        `platforms`: as for `expire_due`."""
        ...

    def list_pending(self) -> list[PendingApproval]: ...

    def claim_event(self, key: str, *, ttl_seconds: int = 86400, owner: str | None = None) -> bool:
        """Idempotency: True the first time a key is seen, False for every duplicate.
        `owner` (the work-queue entry carrying the event): the same owner may claim again (the
        entry re-entered after its worker died), any other may not."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot be reached."""
        ...
