"""Errors the approval stores raise for caller bugs (store outages are StoreUnavailable)."""

from __future__ import annotations


class ApprovalNotFound(LookupError):
    """No approval with this id (never created, or its record has aged out)."""


class InvalidTransition(ValueError):
    """The approval is not in a state that allows this call (e.g. finish() when not executing)."""
