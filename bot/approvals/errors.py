"""Errors the approval stores raise for caller bugs (store outages are StoreUnavailable)."""

from __future__ import annotations


class ApprovalNotFound(LookupError):
    """No approval with this id (never created, or its record has aged out)."""


class InvalidTransition(ValueError):
    """The approval is not in a state that allows this call (e.g. finish() when not executing)."""


class TooManyPending(ValueError):
    """create() refused: the requester already has `pending` approvals waiting (the cap)."""

    def __init__(self, pending: int) -> None:
        super().__init__(f"{pending} approvals of this requester are already pending")
        self.pending = pending
