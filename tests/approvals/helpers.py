"""Builders shared by the approval tests, their spawned worker processes and the benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bot.approvals.models import PendingApproval
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.models import MessageRef, Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement

# The time these helpers were imported: Redis expires keys by its own clock a day after they
# are due, so records built on it stay live for the session. It is NOT "now" later on: a test
# that compares with the real clock (or whose spawned workers do) reads its own base time and
# passes it along, as test_exactly_once does.
T0 = datetime.now(UTC).replace(microsecond=0)
REQUESTER = Principal(id="U-req", name="requester", groups=frozenset({"dev"}))


def requirement(count: int = 1, *groups: str, ttl: int = 600) -> ApprovalRequirement:
    return ApprovalRequirement(
        rule=f"need-{count}-{'-'.join(groups) or 'sre'}",
        count=count,
        approver_groups=frozenset(groups or {"sre"}),
        ttl_seconds=ttl,
    )


def plan(replicas: int = 5, name: str = "web") -> Plan:
    return Plan(steps=[ScaleDeployment(namespace="prod", name=name, replicas=replicas)])


def make_approval(
    *,
    approval_id: str | None = None,
    requirements: list[ApprovalRequirement] | None = None,
    replicas: int = 5,
    created_at: datetime = T0,
    ttl_seconds: int = 600,
    message: MessageRef | None = None,
) -> PendingApproval:
    return PendingApproval(
        id=approval_id or uuid.uuid4().hex,
        plan=plan(replicas),
        requester=REQUESTER,
        requirements=requirements or [requirement(1)],
        created_at=created_at,
        expires_at=created_at + timedelta(seconds=ttl_seconds),
        request_text=f"scale deploy/web to {replicas} in prod",
        channel="C-ops",
        thread="1700000000.000100",
        message=message,
    )
