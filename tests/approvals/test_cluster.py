"""Redis Cluster (three masters, one replica each, all real processes on 127.0.0.1): every
approval key of one prefix lives in one hash slot, the master of that slot is SIGKILLed in the
middle of voting and of executing, and no approved plan runs twice. (The store semantics
themselves run on Cluster through the `approval_store` fixture.)"""

from __future__ import annotations

import signal
import threading
import uuid

import pytest
import redis

from bot.approvals import ApprovalState, RedisApprovalStore, StoreUnavailable, VoteResult
from bot.models import MessageRef
from bot.redis_url import connect
from bot.workqueue import RedisWorkQueue
from tests.approvals.failover import (
    Tally,
    create_approvals,
    vote_and_run,
    vote_once,
    vote_through_failover,
)
from tests.approvals.helpers import make_approval, ran, requirement
from tests.fixtures.redis_ha import ClusterSetup


def _store(setup: ClusterSetup) -> tuple[RedisApprovalStore, str]:
    prefix = f"fo{uuid.uuid4().hex[:8]}"
    return RedisApprovalStore.from_url(setup.url, prefix=prefix), f"{{{prefix}}}:pending"


def test_every_approval_key_is_in_the_slot_of_the_prefix(redis_cluster: ClusterSetup) -> None:
    store, pending = _store(redis_cluster)
    message = MessageRef(platform="slack", channel="C-ops", ts="1700000000.000300")
    approval = make_approval(requirements=[requirement(2)], message=message)
    store.create(approval)
    assert vote_once(store, approval, "U-1").result is VoteResult.RECORDED
    assert store.claim_event("E-1")
    assert vote_once(store, approval, "U-2").result is VoteResult.EXECUTE
    master = redis_cluster.master_of(pending)
    tag = pending.removesuffix("pending")
    keys = master.client().keys(tag + "*")  # one node holds them all
    kinds = sorted(k.removeprefix(tag).split(":")[0] for k in keys)
    assert kinds == ["approval", "approval", "event", "executing", "msg"]
    slots = {int(master.client().execute_command("CLUSTER", "KEYSLOT", k)) for k in keys}
    assert len(slots) == 1


def test_killing_the_slot_master_mid_voting_runs_every_plan_exactly_once(
    fresh_cluster: ClusterSetup,
) -> None:
    setup = fresh_cluster
    store, pending = _store(setup)
    approvals = create_approvals(store, 24, votes=2)
    old = setup.master_of(pending)

    def rejoin() -> None:  # as an orchestrator would: it comes back as the new replica
        setup.wait_for_new_master(pending, old)
        old.restart()

    orchestrator = threading.Thread(target=rejoin)

    def kill() -> None:
        setup.kill_master_of(pending)
        orchestrator.start()  # the voters carry on meanwhile

    tally = vote_through_failover(store, approvals, kill=kill)
    orchestrator.join(timeout=60)

    assert setup.master_of(pending) is not old
    assert tally.unavailable > 0  # votes really hit the failover
    assert sorted(tally.ran) == sorted(a.id for a in approvals)  # each ran once, none lost
    for approval in approvals:
        stored = store.get(approval.id)
        assert stored is not None and stored.state is ApprovalState.DONE


def test_killing_the_slot_master_mid_execution_never_starts_the_plan_again(
    fresh_cluster: ClusterSetup,
) -> None:
    setup = fresh_cluster
    store, pending = _store(setup)
    running, waiting = create_approvals(store, 2, votes=1)
    tally = Tally()
    assert vote_once(store, running, "U-first").result is VoteResult.EXECUTE

    old = setup.kill_master_of(pending)
    setup.wait_for_new_master(pending, old)

    late = vote_and_run(store, running, "U-late", tally)
    assert (late.result, late.state) == (VoteResult.NOT_PENDING, ApprovalState.EXECUTING)
    assert tally.ran == []
    assert [a.id for a in store.list_pending()] == [waiting.id]
    # The new master has no replica left: a start would not be acknowledged, so none happens.
    with pytest.raises(StoreUnavailable, match="confirmed by 0 of 1"):
        vote_once(store, waiting, "U-other")
    old.restart()  # rejoins as a replica: starts are acknowledged again
    outcome = Tally()
    assert vote_and_run(store, waiting, "U-other", outcome).result is VoteResult.EXECUTE
    store.finish(running.id, state=ApprovalState.DONE, report=ran(running))
    assert outcome.ran == [waiting.id]


def test_a_start_no_replica_acknowledged_is_taken_back(redis_cluster: ClusterSetup) -> None:
    store, pending = _store(redis_cluster)
    (approval,) = create_approvals(store, 1, votes=1)
    replica = redis_cluster.replica_of(redis_cluster.master_of(pending))
    replica.signal(signal.SIGSTOP)
    try:
        with pytest.raises(StoreUnavailable, match="taken back"):
            vote_once(store, approval, "U-voter")
        stored = store.get(approval.id)
        assert stored is not None and (stored.state, stored.ballots) == (ApprovalState.PENDING, {})
    finally:
        replica.signal(signal.SIGCONT)
    assert vote_once(store, approval, "U-voter").result is VoteResult.EXECUTE


def test_a_script_touching_keys_of_two_slots_is_refused_by_the_cluster(
    redis_cluster: ClusterSetup,
) -> None:
    """Why the hash tag: without it the keys of one approval land in different slots."""
    node = redis_cluster.nodes[0].client()  # the server itself checks, not just the client
    with pytest.raises(redis.exceptions.ResponseError, match="hash to the same slot"):
        node.eval("return 1", 2, "opsbot:approval:x", "opsbot:pending")
    tagged = ("{opsbot}:approval:x", "{opsbot}:pending")
    slots = {int(node.execute_command("CLUSTER", "KEYSLOT", k)) for k in tagged}
    assert len(slots) == 1


def test_the_work_queue_waits_for_the_replica_of_its_own_slot(redis_cluster: ClusterSetup) -> None:
    """WAIT counts the replicas of the connection that wrote: on a Cluster it must go to the
    node holding the stream's slot (as the approval store does), or the count is another
    node's."""
    queue = RedisWorkQueue(
        connect(redis_cluster.url), prefix=f"wq{uuid.uuid4().hex[:8]}", ack_replicas=1
    )
    for n in range(5):
        queue.put("k", {"n": n}, dedupe_key=f"e{n}")
    assert queue.backlog() == (5, 0)
