"""Recovering plans left in `executing` by a bot that stopped mid-run: they are marked failed
(never re-run) and handed to exactly one caller. Run against both stores."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import redis

from bot.approvals import ApprovalState, InvalidTransition, RedisApprovalStore, connect
from bot.approvals.models import Executed, Interrupted, PendingApproval
from bot.approvals.redis_store import TERMINAL_TTL_SECONDS
from bot.approvals.store import ApprovalStore
from tests.approvals.helpers import T0, make_approval, ran, vote

STARTED = T0 + timedelta(seconds=1)


def _executing(store: ApprovalStore, *, at: timedelta = timedelta(seconds=1)) -> PendingApproval:
    approval = make_approval(ttl_seconds=3600)
    store.create(approval)
    outcome = vote(
        store, approval.id, voter_id="U-sre", digest=approval.digest, counts_for=[0], now=T0 + at
    )
    assert outcome.state is ApprovalState.EXECUTING
    return approval


def test_a_stale_execution_is_marked_failed_and_returned_once(
    approval_store: ApprovalStore,
) -> None:
    approval = _executing(approval_store)
    later = STARTED + timedelta(seconds=901)

    moved = approval_store.interrupt_stale(later, older_than_seconds=900)

    assert [a.id for a in moved] == [approval.id]
    assert moved[0].state is ApprovalState.FAILED
    assert moved[0].outcome == Interrupted()
    assert moved[0].decided_by == "U-sre"
    assert approval_store.interrupt_stale(later, older_than_seconds=900) == []
    stored = approval_store.get(approval.id)
    assert stored is not None and stored.state is ApprovalState.FAILED
    # a very slow execution finishing afterwards cannot overwrite the interrupted record
    with pytest.raises(InvalidTransition, match="failed, not executing"):
        approval_store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval))
    again = approval_store.get(approval.id)
    assert again is not None and again.outcome == Interrupted()


def test_younger_executions_and_other_states_are_untouched(
    approval_store: ApprovalStore,
) -> None:
    young = _executing(approval_store, at=timedelta(seconds=200))
    done = _executing(approval_store)
    approval_store.finish(done.id, state=ApprovalState.DONE, report=ran(done))
    pending = make_approval(ttl_seconds=3600)
    approval_store.create(pending)
    old = _executing(approval_store)
    now = STARTED + timedelta(seconds=901)  # old started 901 s ago, young 702 s ago

    moved = approval_store.interrupt_stale(now, older_than_seconds=900)

    assert [a.id for a in moved] == [old.id]
    states = {a.id: approval_store.get(a.id) for a in (young, done, pending)}
    assert {k: (v.state if v else None) for k, v in states.items()} == {
        young.id: ApprovalState.EXECUTING,
        done.id: ApprovalState.DONE,
        pending.id: ApprovalState.PENDING,
    }
    done_now = states[done.id]
    assert done_now is not None and done_now.outcome == Executed(report=ran(done))
    # the young one is recovered once it too is older than the cutoff
    later = T0 + timedelta(seconds=200 + 901)
    assert [a.id for a in approval_store.interrupt_stale(later, older_than_seconds=900)] == [
        young.id
    ]


def test_exactly_at_the_cutoff_is_not_yet_stale(approval_store: ApprovalStore) -> None:
    approval = _executing(approval_store)
    at_cutoff = STARTED + timedelta(seconds=900)
    assert approval_store.interrupt_stale(at_cutoff, older_than_seconds=900) == []
    moved = approval_store.interrupt_stale(at_cutoff + timedelta(seconds=1), older_than_seconds=900)
    assert [a.id for a in moved] == [approval.id]


def test_redis_keeps_the_executing_index_exact_and_applies_the_terminal_ttl(
    redis_client: redis.Redis, redis_url: str
) -> None:
    prefix = f"intr{uuid.uuid4().hex[:6]}"
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    finished = _executing(store)
    store.finish(finished.id, state=ApprovalState.FAILED, report=ran(finished, ok=False))
    assert redis_client.zrange(f"{{{prefix}}}:executing", 0, -1) == []  # finish removes it

    stale = _executing(store)
    assert redis_client.zrange(f"{{{prefix}}}:executing", 0, -1) == [stale.id]
    assert redis_client.zscore(f"{{{prefix}}}:executing", stale.id) == pytest.approx(
        STARTED.timestamp()
    )
    redis_client.persist(f"{{{prefix}}}:approval:{stale.id}")  # prove the sweep sets the TTL itself

    store.interrupt_stale(STARTED + timedelta(seconds=1000), older_than_seconds=900)

    assert redis_client.zcard(f"{{{prefix}}}:executing") == 0
    ttl = redis_client.ttl(f"{{{prefix}}}:approval:{stale.id}")
    assert TERMINAL_TTL_SECONDS - 60 < ttl <= TERMINAL_TTL_SECONDS


def test_redis_drops_index_entries_whose_record_aged_out(
    redis_client: redis.Redis, redis_url: str
) -> None:
    prefix = f"gone{uuid.uuid4().hex[:6]}"
    store = RedisApprovalStore(connect(redis_url), prefix=prefix)
    approval = _executing(store)
    redis_client.delete(f"{{{prefix}}}:approval:{approval.id}")

    assert store.interrupt_stale(STARTED + timedelta(hours=1), older_than_seconds=900) == []
    assert redis_client.zcard(f"{{{prefix}}}:executing") == 0
