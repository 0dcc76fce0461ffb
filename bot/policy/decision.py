"""The structured result of a policy evaluation. Consumed by the service, previews and audit."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Principal


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NEEDS_APPROVAL = "needs_approval"


class ApprovalRequirement(BaseModel):
    """`count` distinct approvers from `approver_groups` (or `approver_users`) are needed."""

    model_config = ConfigDict(frozen=True)

    rule: str
    count: int = Field(ge=1, le=10)
    approver_groups: frozenset[str] = frozenset()
    approver_users: frozenset[str] = frozenset()
    allow_self_approval: bool = False
    ttl_seconds: int = Field(ge=30, le=7 * 86400)

    def admits(self, voter: Principal, requester: Principal) -> bool:
        """True when `voter` may count toward this requirement."""
        if voter.id == requester.id and not self.allow_self_approval:
            return False
        if "*" in self.approver_groups or voter.id in self.approver_users:
            return True
        return bool(voter.groups & self.approver_groups)


class StepDecision(BaseModel):
    """One step's verdict. `requirements`: every matching approval rule, all must be met."""

    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    matched_rules: list[str] = Field(default_factory=list)
    requirements: list[ApprovalRequirement] = Field(default_factory=list)


class Decision(BaseModel):
    """deny (with reasons) | allow | needs_approval (requirements, the soonest expiry)."""

    outcome: Outcome
    reasons: list[str] = Field(default_factory=list)
    steps: list[StepDecision] = Field(default_factory=list)
    requirements: list[ApprovalRequirement] = Field(default_factory=list)

    @property
    def ttl_seconds(self) -> int | None:
        return min((r.ttl_seconds for r in self.requirements), default=None)

    @classmethod
    def deny(cls, *reasons: str) -> Decision:
        return cls(outcome=Outcome.DENY, reasons=list(reasons))
