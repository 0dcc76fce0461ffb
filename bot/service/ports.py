"""What the service needs from the policy engine, the chat platform's group directory and the
rate limiters."""

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


class PrincipalResolver(Protocol):
    """The chat platform's groups of a user NOW (never the policy's static groups, which the
    Decider adds). Approvals are counted with these, never with the groups a Principal carried
    when it asked or voted, so someone removed from a platform group stops counting."""

    def current(self, principal: Principal) -> Principal: ...


class AsGiven:
    """For front ends whose users carry no platform groups (the console, tests): a principal
    is taken as it was given."""

    def current(self, principal: Principal) -> Principal:
        return principal
