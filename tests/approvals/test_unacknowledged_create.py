"""An approval whose creation no Redis replica acknowledged (WAIT) is taken back: cancelled,
and the requester told to ask again. Seen in CI: on a fresh Cluster whose replica was still
syncing, the take-back itself raised (`'cancelled' is not a valid VoteResult`) instead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.approvals import ApprovalState, PendingApproval, RedisApprovalStore, StoreUnavailable
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.models import Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement
from bot.redis_url import connect


def test_a_create_no_replica_acknowledged_is_cancelled_and_reported(redis_url: str) -> None:
    # one server, no replica: WAIT for one replica always answers 0
    store = RedisApprovalStore(
        connect(redis_url), prefix=f"ack{uuid.uuid4().hex[:10]}", ack_replicas=1, ack_timeout_ms=50
    )
    now = datetime.now(UTC)
    approval = PendingApproval(
        id=uuid.uuid4().hex,
        plan=Plan(steps=[ScaleDeployment(namespace="prod", name="web", replicas=5)]),
        requester=Principal(id="U-req"),
        requirements=[
            ApprovalRequirement(
                rule="r", count=1, approver_groups=frozenset({"sre"}), ttl_seconds=600
            )
        ],
        created_at=now,
        expires_at=now + timedelta(minutes=10),
    )
    with pytest.raises(StoreUnavailable, match="cancelled, nothing was executed: ask again"):
        store.create(approval)
    stored = store.get(approval.id)
    assert stored is not None and stored.state is ApprovalState.CANCELLED
    assert store.list_pending() == []
