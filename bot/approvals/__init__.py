"""Pending approvals: the models, the store protocol and its two implementations.

RedisApprovalStore is the real, shared one (every transition one atomic Lua script);
MemoryApprovalStore serves the single-process console. `open_store(url)` picks one.
"""

from __future__ import annotations

from bot.approvals.counting import Counted, count_and_start
from bot.approvals.errors import ApprovalNotFound, InvalidTransition, TooManyPending
from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.models import (
    TERMINAL_STATES,
    ApprovalState,
    Ballot,
    PendingApproval,
    VoteOutcome,
    VoteResult,
)
from bot.approvals.redis_store import RedisApprovalStore, connect
from bot.approvals.store import ApprovalStore, StoreUnavailable


def open_store(redis_url: str | None, *, prefix: str = "opsbot") -> ApprovalStore:
    """RedisApprovalStore when a URL is given, else an in-process store (one process only)."""
    if redis_url:
        return RedisApprovalStore(connect(redis_url), prefix=prefix)
    return MemoryApprovalStore()


__all__ = [
    "TERMINAL_STATES",
    "ApprovalNotFound",
    "ApprovalState",
    "ApprovalStore",
    "Ballot",
    "Counted",
    "InvalidTransition",
    "MemoryApprovalStore",
    "PendingApproval",
    "RedisApprovalStore",
    "StoreUnavailable",
    "TooManyPending",
    "VoteOutcome",
    "VoteResult",
    "connect",
    "count_and_start",
    "open_store",
]
