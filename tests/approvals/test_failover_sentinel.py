"""Redis behind Sentinel (one master, two replicas, three sentinels, all real processes on
127.0.0.1): the master is SIGKILLed in the middle of voting and of executing. No approved plan
runs twice, no acknowledged pending plan is lost, and the same client finds the new master.
(The store semantics themselves run on Sentinel through the `approval_store` fixture.)"""

from __future__ import annotations

import signal
import uuid

import pytest

from bot.approvals import ApprovalState, RedisApprovalStore, StoreUnavailable, VoteResult
from tests.approvals.failover import (
    Tally,
    create_approvals,
    vote_and_run,
    vote_once,
    vote_through_failover,
)
from tests.approvals.helpers import ran
from tests.fixtures.redis_ha import SentinelSetup


def _store(setup: SentinelSetup) -> RedisApprovalStore:
    return RedisApprovalStore.from_url(setup.url, prefix=f"fo{uuid.uuid4().hex[:8]}")


def test_killing_the_master_mid_voting_runs_every_plan_exactly_once(
    fresh_sentinel_setup: SentinelSetup,
) -> None:
    setup = fresh_sentinel_setup
    store = _store(setup)
    approvals = create_approvals(store, 24, votes=2)
    old = setup.master()

    tally = vote_through_failover(store, approvals, kill=setup.kill_master)

    assert setup.master_port() != old.port  # the sentinels promoted a replica
    assert tally.unavailable > 0  # votes really hit the failover
    assert sorted(tally.ran) == sorted(a.id for a in approvals)  # each ran once, none lost
    for approval in approvals:
        stored = store.get(approval.id)
        assert stored is not None and stored.state is ApprovalState.DONE


def test_killing_the_master_mid_execution_never_starts_the_plan_again(
    fresh_sentinel_setup: SentinelSetup,
) -> None:
    setup = fresh_sentinel_setup
    store = _store(setup)
    running, waiting = create_approvals(store, 2, votes=1)
    tally = Tally()
    assert vote_once(store, running, "U-first").result is VoteResult.EXECUTE

    old = setup.kill_master()  # the plan is running: its result is not recorded yet
    setup.wait_for_new_master(old)

    late = vote_and_run(store, running, "U-late", tally)  # same client, new master
    assert (late.result, late.state) == (VoteResult.NOT_PENDING, ApprovalState.EXECUTING)
    assert tally.ran == []
    store.finish(running.id, state=ApprovalState.DONE, report=ran(running))
    stored = store.get(running.id)
    assert stored is not None and stored.state is ApprovalState.DONE
    assert [a.id for a in store.list_pending()] == [waiting.id]  # acknowledged: survived


def test_a_start_no_replica_acknowledged_is_taken_back_and_the_voter_told(
    fresh_sentinel_setup: SentinelSetup,
) -> None:
    setup = fresh_sentinel_setup
    store = _store(setup)
    (approval,) = create_approvals(store, 1, votes=1)
    replicas = setup.replicas()
    for replica in replicas:
        replica.signal(signal.SIGSTOP)  # replicas freeze: WAIT sees no acknowledgement
    try:
        with pytest.raises(StoreUnavailable, match="confirmed by 0 of 1 required Redis replica"):
            vote_once(store, approval, "U-voter")
        stored = store.get(approval.id)
        assert stored is not None
        assert (stored.state, stored.ballots, stored.decided_by) == (
            ApprovalState.PENDING,
            {},
            None,
        )
        assert [a.id for a in store.list_pending()] == [approval.id]
    finally:
        for replica in replicas:
            replica.signal(signal.SIGCONT)
    again = vote_once(store, approval, "U-voter")  # the voter votes again, as told
    assert again.result is VoteResult.EXECUTE
