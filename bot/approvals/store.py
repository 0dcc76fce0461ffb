"""The approval store protocol. RedisApprovalStore is the real one; MemoryApprovalStore serves
the single-process console. Every state transition is atomic in the store itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.approvals.models import ApprovalState, PendingApproval, VoteOutcome
from bot.models import MessageRef

INTERRUPTED_SUMMARY = (
    "interrupted: the bot stopped while this plan was running; "
    "check the current state before retrying"
)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached; callers fail closed (no write runs)."""


class ApprovalStore(Protocol):
    def create(self, approval: PendingApproval) -> None: ...

    def get(self, approval_id: str) -> PendingApproval | None: ...

    def bind_message(self, approval_id: str, message: MessageRef) -> None:
        """Record the chat message that shows this plan; votes arrive by message."""
        ...

    def find_by_message(self, message: MessageRef) -> str | None: ...

    def vote(
        self, approval_id: str, *, voter_id: str, digest: str, counts_for: list[int], now: datetime
    ) -> VoteOutcome:
        """Record a vote; when it completes every requirement, move pending -> executing in the
        same atomic step and answer EXECUTE to exactly one caller."""
        ...

    def withdraw(self, approval_id: str, *, voter_id: str) -> VoteOutcome: ...

    def reject(self, approval_id: str, *, by: str, digest: str, now: datetime) -> VoteOutcome:
        """pending -> rejected (atomic)."""
        ...

    def cancel(self, approval_id: str, *, by: str) -> VoteOutcome: ...

    def finish(self, approval_id: str, *, state: ApprovalState, summary: str) -> None:
        """executing -> done | failed."""
        ...

    def expire_due(self, now: datetime) -> list[PendingApproval]:
        """Move every pending approval past its expiry to expired, returning those moved."""
        ...

    def interrupt_stale(self, now: datetime, *, older_than_seconds: int) -> list[PendingApproval]:
        """Move every approval that entered executing more than `older_than_seconds` before
        `now` and is still executing to failed (summary INTERRUPTED_SUMMARY), returning those
        moved; each is returned to exactly one caller. The plan is never run again."""
        ...

    def list_pending(self) -> list[PendingApproval]: ...

    def claim_event(self, key: str, *, ttl_seconds: int = 86400) -> bool:
        """Idempotency: True the first time a key is seen, False for every duplicate."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot be reached."""
        ...
