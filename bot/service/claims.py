"""Idempotency of chat events: each platform event id is acted on once."""

from __future__ import annotations

import logging

from bot.approvals.store import ApprovalStore, StoreUnavailable

log = logging.getLogger("opsbot.service")


class EventClaims:
    def __init__(self, store: ApprovalStore) -> None:
        self._store = store

    def first(self, key: str, *, owner: str | None = None) -> bool:
        """True the first time `key` is seen, and again for the work-queue entry that claimed
        it (`owner`, see Request.delivery: it re-enters after its worker died; another
        delivery of the same event does not). When the store is away: fail open, the store's
        own atomic steps still refuse a second vote or a second run."""
        try:
            return self._store.claim_event(key, owner=owner)
        except StoreUnavailable:
            log.warning("idempotency store unavailable; cannot de-duplicate %s", key)
            return True
