"""Sweeps of deployments sharing one store (Redis and key prefix) but serving different
platforms: each closes only approvals whose preview is on a platform it serves (or was never
posted) and leaves the others untouched for their own deployment. Run against every store."""

from __future__ import annotations

from datetime import timedelta

from bot.approvals import ApprovalState
from bot.approvals.models import PendingApproval
from bot.approvals.store import ApprovalStore
from bot.models import MessageRef
from tests.approvals.helpers import T0, make_approval, vote

DUE = T0 + timedelta(seconds=601)


def _on(platform: str | None, **kwargs: int) -> PendingApproval:
    message = None if platform is None else MessageRef(platform=platform, channel="c", ts=platform)
    return make_approval(message=message, **kwargs)


def test_expiry_sweeps_close_only_their_platforms_approvals(
    approval_store: ApprovalStore,
) -> None:
    slack, matrix, unposted = _on("slack"), _on("matrix"), _on(None)
    for approval in (slack, matrix, unposted):
        approval_store.create(approval)

    slack_sweep = approval_store.expire_due(DUE, platforms={"slack"})

    assert sorted(a.id for a in slack_sweep) == sorted([slack.id, unposted.id])
    left = approval_store.get(matrix.id)
    assert left is not None and left.state is ApprovalState.PENDING  # untouched
    assert approval_store.expire_due(DUE, platforms={"slack"}) == []
    matrix_sweep = approval_store.expire_due(DUE, platforms={"matrix"})
    assert [a.id for a in matrix_sweep] == [matrix.id]
    assert matrix_sweep[0].state is ApprovalState.EXPIRED
    assert approval_store.expire_due(DUE) == []


def test_interrupted_sweeps_close_only_their_platforms_executions(
    approval_store: ApprovalStore,
) -> None:
    running = []
    for platform in ("slack", "matrix"):
        approval = _on(platform, ttl_seconds=3600)
        approval_store.create(approval)
        outcome = vote(
            approval_store,
            approval.id,
            voter_id="U-sre",
            digest=approval.digest,
            counts_for=[0],
            now=T0 + timedelta(seconds=1),
        )
        assert outcome.state is ApprovalState.EXECUTING
        running.append(approval)
    slack, matrix = running
    later = T0 + timedelta(seconds=1000)

    by_matrix = approval_store.interrupt_stale(later, older_than_seconds=900, platforms={"matrix"})

    assert [a.id for a in by_matrix] == [matrix.id]
    left = approval_store.get(slack.id)
    assert left is not None and left.state is ApprovalState.EXECUTING  # untouched
    by_slack = approval_store.interrupt_stale(later, older_than_seconds=900, platforms={"slack"})
    assert [a.id for a in by_slack] == [slack.id]
    assert by_slack[0].state is ApprovalState.FAILED
    assert approval_store.interrupt_stale(later, older_than_seconds=900) == []
