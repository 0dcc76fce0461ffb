"""Voters and executors that keep going through a Redis failover, shared by the Sentinel and
Cluster failover tests and bench/bench_redis_failover.py.

A voter told "not recorded" (StoreUnavailable) votes again, as the bot's reply asks; a vote
whose ballot is already recorded (DUPLICATE) still counts the ballots, so a count that was cut
off by the failover is finished by the retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.approvals import (
    ApprovalState,
    Ballot,
    RedisApprovalStore,
    StoreUnavailable,
    VoteOutcome,
    VoteResult,
    count_and_start,
)
from bot.approvals.models import PendingApproval
from bot.models import Principal
from tests.approvals.helpers import T0, make_approval, ran, requirement

NOW = T0 + timedelta(seconds=1)
GIVE_UP_SECONDS = 60.0


@dataclass
class Tally:
    """What the voters saw: every plan they ran and how often the store was unavailable."""

    ran: list[str] = field(default_factory=list)
    unavailable: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, approval_id: str) -> None:
        with self.lock:
            self.ran.append(approval_id)

    def missed(self) -> None:
        with self.lock:
            self.unavailable += 1


def retrying[T](call: Callable[[], T], tally: Tally) -> T:
    """Call until the store answers (bounded: a store down for a minute fails the test)."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while True:
        try:
            return call()
        except StoreUnavailable:
            tally.missed()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def vote_once(store: RedisApprovalStore, approval: PendingApproval, voter_id: str) -> VoteOutcome:
    ballot = Ballot(
        voter=Principal(id=voter_id, groups=frozenset({"sre"})),
        approve=True,
        at_us=time.time_ns() // 1000,
    )
    recorded = store.record_ballot(approval.id, ballot=ballot, digest=approval.digest, now=NOW)
    if recorded.result not in (VoteResult.RECORDED, VoteResult.DUPLICATE):
        return recorded
    return count_and_start(
        store,
        approval.id,
        requirements=approval.requirements,
        current=lambda p: p,
        by=voter_id,
        now=NOW,
    ).outcome


def vote_and_run(
    store: RedisApprovalStore, approval: PendingApproval, voter_id: str, tally: Tally
) -> VoteOutcome:
    """A voter's approve, retried until answered; the caller that gets EXECUTE runs the plan
    (recorded in `tally`) and records its result."""
    outcome = retrying(lambda: vote_once(store, approval, voter_id), tally)
    if outcome.result is VoteResult.EXECUTE:
        tally.run(approval.id)
        retrying(
            lambda: store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval)), tally
        )
    return outcome


def create_approvals(store: RedisApprovalStore, count: int, *, votes: int) -> list[PendingApproval]:
    """`count` pending approvals. A creation no replica acknowledged in time (a loaded machine,
    a replica still syncing) is cancelled by the store, and asked again, as a user would."""
    approvals = []
    for _ in range(count):
        for attempt in range(5):
            approval = make_approval(requirements=[requirement(votes)])
            try:
                store.create(approval)
                break
            except StoreUnavailable:
                if attempt == 4:
                    raise
                time.sleep(0.5)
        approvals.append(approval)
    return approvals


def vote_through_failover(
    store: RedisApprovalStore,
    approvals: list[PendingApproval],
    *,
    kill: Callable[[], None],
    threads: int = 4,
    before_kill: int = 2,
) -> Tally:
    """`threads` voters each take their share of `approvals`; every approval needs two votes
    (voters A and B). After each voter finished `before_kill` approvals, `kill` runs (the
    master dies) and the voters carry on through the failover with the same store client."""
    tally = Tally()
    ready = threading.Barrier(threads + 1)
    killed = threading.Event()

    def voter(index: int) -> None:
        mine = approvals[index::threads]
        for n, approval in enumerate(mine):
            if n == before_kill:
                ready.wait(timeout=120)
                killed.wait(timeout=120)
            vote_and_run(store, approval, f"A{index}", tally)
            vote_and_run(store, approval, f"B{index}", tally)

    workers = [threading.Thread(target=voter, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait(timeout=120)
    kill()
    killed.set()
    for worker in workers:
        worker.join(timeout=180)
    return tally


def first_success_after(store: RedisApprovalStore, approval: PendingApproval) -> float:
    """Seconds until a vote on `approval` is answered (bench: call right after the kill)."""
    started = time.monotonic()
    retrying(lambda: vote_once(store, approval, "U-bench"), Tally())
    return time.monotonic() - started
