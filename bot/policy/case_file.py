"""Table-driven policy test cases (policies/tests/*.yaml), in the spirit of `opa test`.

policy: ../          # optional, relative to this file; default: the folder above tests/
now: 2026-11-18T10:00:00+01:00   # optional default for every case
cases:
  - name: devs scale staging with one SRE approval
    requester: {user: bob, groups: [dev]}
    plan:
      - {operation: scale_deployment, namespace: staging, name: web, replicas: 5}
    expect: {outcome: needs_approval, approvals: 1, approver_groups: [sre]}
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.policy.decision import Outcome
from bot.policy.model import Duration, Name


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-11-20T17:00:00+01:00 or ...Z")
    return value


AwareTime = Annotated[datetime, AfterValidator(_aware)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requester(_Strict):
    user: Name
    groups: list[Name] = Field(default_factory=list)


class Expect(_Strict):
    outcome: Outcome
    approvals: int | None = Field(default=None, ge=1, description="the largest count required")
    approver_groups: list[Name] | None = Field(default=None, description="union, exact set")
    self_approval: bool | None = None
    expires_after: Duration | None = Field(default=None, description="the soonest expiry")
    reason: str | None = Field(default=None, description="substring of some reason")
    rule: str | None = Field(default=None, description="a requirement's or matched rule's name")


class Case(_Strict):
    name: Name
    requester: Requester
    plan: list[dict[str, Any]] = Field(min_length=1)
    now: AwareTime | None = None
    expect: Expect


class CaseFile(_Strict):
    policy: str | None = None
    now: AwareTime | None = None
    cases: list[Case] = Field(min_length=1)
