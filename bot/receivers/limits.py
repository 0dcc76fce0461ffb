"""Service principals (the Alertmanager receiver's `alertmanager`) send many requests on behalf
of many alerts: they get their own limits instead of one chat user's."""

from __future__ import annotations

from collections.abc import Mapping

from bot.service.ports import RateLimiter


class ByPrincipal:
    """A RateLimiter that gives the named principals their own limiter; everyone else shares
    `default` (each user still in their own window)."""

    def __init__(self, default: RateLimiter, own: Mapping[str, RateLimiter]) -> None:
        self._default = default
        self._own = dict(own)

    def allow(self, user_id: str) -> tuple[bool, int]:
        return self._own.get(user_id, self._default).allow(user_id)
