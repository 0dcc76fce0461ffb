"""What the service needs from the policy engine and the rate limiters (protocols only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from bot.models import Principal
from bot.plan import Plan
from bot.policy.decision import Decision


class PolicySource(Protocol):
    def evaluate(self, plan: Plan, requester: Principal, *, now: datetime) -> Decision: ...

    def effective_principal(self, principal: Principal) -> Principal: ...

    def readable_namespaces(
        self,
        principal: Principal,
        namespaces: Iterable[str],
        *,
        now: datetime,
        context: str | None = None,
    ) -> list[str]: ...


class RateLimiter(Protocol):
    def allow(self, user_id: str) -> tuple[bool, int]: ...
