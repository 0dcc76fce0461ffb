"""The semantics table of the approval store, run against both stores (real Redis and
in-process) through the parametrized `approval_store` fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.approvals import (
    ApprovalNotFound,
    ApprovalState,
    InvalidTransition,
    VoteResult,
)
from bot.approvals.models import Executed
from bot.approvals.store import ApprovalStore
from bot.models import MessageRef
from tests.approvals.helpers import (
    T0,
    counted,
    make_approval,
    plan,
    ran,
    requirement,
    vote,
    withdraw,
)

SOON = T0 + timedelta(seconds=1)


def test_create_then_get_round_trips_every_field(approval_store: ApprovalStore) -> None:
    message = MessageRef(platform="slack", channel="C-ops", ts="1700000000.000200")
    approval = make_approval(
        requirements=[requirement(2, "sre"), requirement(1, "dba")], message=message
    )
    approval_store.create(approval)

    assert approval_store.get(approval.id) == approval
    assert approval_store.get("no-such-id") is None
    assert approval_store.find_by_message(message) == approval.id


def test_create_refuses_a_duplicate_id_and_non_fresh_approvals(
    approval_store: ApprovalStore,
) -> None:
    approval = make_approval()
    approval_store.create(approval)
    with pytest.raises(InvalidTransition, match="already exists"):
        approval_store.create(make_approval(approval_id=approval.id, replicas=9))
    assert approval_store.get(approval.id) == approval  # the first one is untouched

    voted = make_approval().model_copy(update={"votes": {"U-1": [0]}})
    with pytest.raises(InvalidTransition, match="fresh pending"):
        approval_store.create(voted)


def test_one_vote_meeting_the_requirement_executes(approval_store: ApprovalStore) -> None:
    approval = make_approval()
    approval_store.create(approval)

    outcome = vote(
        approval_store,
        approval.id,
        voter_id="U-sre",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )
    assert (outcome.result, outcome.state, outcome.tally) == (
        VoteResult.EXECUTE,
        ApprovalState.EXECUTING,
        [1],
    )
    stored = approval_store.get(approval.id)
    assert stored is not None
    assert (stored.state, stored.decided_by, counted(stored).votes) == (
        ApprovalState.EXECUTING,
        "U-sre",
        {"U-sre": [0]},
    )
    assert approval_store.list_pending() == []

    late = vote(
        approval_store,
        approval.id,
        voter_id="U-late",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )
    assert (late.result, late.state) == (VoteResult.NOT_PENDING, ApprovalState.EXECUTING)


def test_votes_accumulate_and_duplicates_do_not_count(approval_store: ApprovalStore) -> None:
    approval = make_approval(requirements=[requirement(2, "sre")])
    approval_store.create(approval)

    def cast(voter: str, counts_for: list[int]) -> tuple[VoteResult, list[int]]:
        out = vote(
            approval_store,
            approval.id,
            voter_id=voter,
            digest=approval.digest,
            counts_for=counts_for,
            now=SOON,
        )
        return out.result, out.tally

    assert cast("U-a", [0]) == (VoteResult.RECORDED, [1])
    assert cast("U-a", [0]) == (VoteResult.DUPLICATE, [1])
    assert cast("U-nobody", []) == (VoteResult.RECORDED, [1])  # counts for no requirement
    assert cast("U-b", [0, 0]) == (VoteResult.EXECUTE, [2])  # repeated index counts once
    assert counted(approval_store.get(approval.id)).votes == {  # type: ignore[arg-type]
        "U-a": [0],
        "U-b": [0],
    }  # U-nobody's ballot is kept but counts for nothing


def test_two_requirements_must_both_be_met(approval_store: ApprovalStore) -> None:
    approval = make_approval(requirements=[requirement(1, "sre"), requirement(1, "dba")])
    approval_store.create(approval)

    def cast(voter: str, counts_for: list[int]) -> tuple[VoteResult, list[int]]:
        out = vote(
            approval_store,
            approval.id,
            voter_id=voter,
            digest=approval.digest,
            counts_for=counts_for,
            now=SOON,
        )
        return out.result, out.tally

    assert cast("U-sre1", [0]) == (VoteResult.RECORDED, [1, 0])
    assert cast("U-sre2", [0]) == (VoteResult.RECORDED, [2, 0])
    assert cast("U-out-of-range", [7]) == (VoteResult.RECORDED, [2, 0])
    assert cast("U-dba", [1]) == (VoteResult.EXECUTE, [2, 1])

    both = make_approval(requirements=[requirement(1, "sre"), requirement(1, "dba")])
    approval_store.create(both)
    out = vote(
        approval_store, both.id, voter_id="U-both", digest=both.digest, counts_for=[0, 1], now=SOON
    )
    assert (out.result, out.tally) == (VoteResult.EXECUTE, [1, 1])


def test_a_vote_for_another_plan_digest_is_refused_and_not_recorded(
    approval_store: ApprovalStore,
) -> None:
    approval = make_approval(replicas=5)
    approval_store.create(approval)
    other = plan(replicas=50).digest
    assert other != approval.digest

    out = vote(approval_store, approval.id, voter_id="U-a", digest=other, counts_for=[0], now=SOON)
    assert (out.result, out.state) == (VoteResult.DIGEST_MISMATCH, ApprovalState.PENDING)
    rejected = approval_store.reject(approval.id, by="U-a", digest=other, now=SOON)
    assert rejected.result is VoteResult.DIGEST_MISMATCH
    stored = approval_store.get(approval.id)
    assert stored is not None
    assert (stored.state, counted(stored).votes) == (ApprovalState.PENDING, {})


def test_a_vote_at_or_after_expiry_expires_the_approval(approval_store: ApprovalStore) -> None:
    approval = make_approval(ttl_seconds=60)
    approval_store.create(approval)

    out = vote(
        approval_store,
        approval.id,
        voter_id="U-a",
        digest=approval.digest,
        counts_for=[0],
        now=approval.expires_at,
    )
    assert (out.result, out.state) == (VoteResult.EXPIRED, ApprovalState.EXPIRED)
    again = vote(
        approval_store,
        approval.id,
        voter_id="U-b",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )
    assert (again.result, again.state) == (VoteResult.NOT_PENDING, ApprovalState.EXPIRED)
    assert counted(approval_store.get(approval.id)).votes == {}  # type: ignore[arg-type]
    assert approval_store.list_pending() == []


def test_naive_datetimes_are_taken_as_utc(approval_store: ApprovalStore) -> None:
    approval = make_approval(ttl_seconds=60)
    approval_store.create(approval)
    just_before = (approval.expires_at - timedelta(seconds=1)).replace(tzinfo=None)
    out = vote(
        approval_store,
        approval.id,
        voter_id="U-a",
        digest=approval.digest,
        counts_for=[0],
        now=just_before,
    )
    assert out.result is VoteResult.EXECUTE


def test_reject_after_expiry_answers_expired(approval_store: ApprovalStore) -> None:
    approval = make_approval(ttl_seconds=60)
    approval_store.create(approval)
    late = approval.expires_at + timedelta(seconds=5)
    out = approval_store.reject(approval.id, by="U-a", digest=approval.digest, now=late)
    assert (out.result, out.state) == (VoteResult.EXPIRED, ApprovalState.EXPIRED)


def test_expire_due_moves_each_due_approval_once(approval_store: ApprovalStore) -> None:
    short = make_approval(ttl_seconds=60)
    exact = make_approval(ttl_seconds=120)
    long = make_approval(ttl_seconds=600)
    voted = make_approval(ttl_seconds=30)
    for approval in (short, exact, long, voted):
        approval_store.create(approval)
    vote(approval_store, voted.id, voter_id="U-a", digest=voted.digest, counts_for=[0], now=SOON)

    now = T0 + timedelta(seconds=120)
    moved = approval_store.expire_due(now)
    assert sorted(a.id for a in moved) == sorted([short.id, exact.id])
    assert all(a.state is ApprovalState.EXPIRED for a in moved)
    assert approval_store.expire_due(now) == []
    assert [a.id for a in approval_store.list_pending()] == [long.id]
    assert approval_store.get(voted.id).state is ApprovalState.EXECUTING  # type: ignore[union-attr]


def test_withdraw_removes_a_vote_only_while_pending(approval_store: ApprovalStore) -> None:
    approval = make_approval(requirements=[requirement(2, "sre")])
    approval_store.create(approval)
    digest = approval.digest

    vote(approval_store, approval.id, voter_id="U-a", digest=digest, counts_for=[0], now=SOON)
    out = withdraw(approval_store, approval.id, voter_id="U-a")
    assert (out.result, out.state, out.tally) == (
        VoteResult.WITHDRAWN,
        ApprovalState.PENDING,
        [0],
    )
    none = withdraw(approval_store, approval.id, voter_id="U-a")
    assert (none.result, none.state) == (VoteResult.NOT_FOUND, ApprovalState.PENDING)

    assert (
        vote(
            approval_store, approval.id, voter_id="U-a", digest=digest, counts_for=[0], now=SOON
        ).result
        is VoteResult.RECORDED
    )
    assert (
        vote(
            approval_store, approval.id, voter_id="U-b", digest=digest, counts_for=[0], now=SOON
        ).result
        is VoteResult.EXECUTE
    )
    late = withdraw(approval_store, approval.id, voter_id="U-a")
    assert (late.result, late.state) == (VoteResult.NOT_PENDING, ApprovalState.EXECUTING)
    missing = withdraw(approval_store, "no-such-id", voter_id="U-a")
    assert (missing.result, missing.state) == (VoteResult.NOT_FOUND, None)


def test_reject_closes_the_approval(approval_store: ApprovalStore) -> None:
    approval = make_approval(requirements=[requirement(2, "sre")])
    approval_store.create(approval)
    vote(
        approval_store,
        approval.id,
        voter_id="U-a",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )

    out = approval_store.reject(approval.id, by="U-boss", digest=approval.digest, now=SOON)
    assert (out.result, out.state) == (VoteResult.REJECTED, ApprovalState.REJECTED)
    stored = approval_store.get(approval.id)
    assert stored is not None
    assert (stored.state, stored.decided_by) == (ApprovalState.REJECTED, "U-boss")
    after = vote(
        approval_store,
        approval.id,
        voter_id="U-b",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )
    assert (after.result, after.state) == (VoteResult.NOT_PENDING, ApprovalState.REJECTED)
    by_requester = approval_store.reject(approval.id, by="U-req", digest=approval.digest, now=SOON)
    assert by_requester.result is VoteResult.NOT_PENDING
    assert approval_store.list_pending() == []


def test_a_requester_rejecting_closes_their_pending_approval_once(
    approval_store: ApprovalStore,
) -> None:
    approval = make_approval()
    approval_store.create(approval)
    out = approval_store.reject(approval.id, by="U-req", digest=approval.digest, now=SOON)
    assert (out.result, out.state) == (VoteResult.REJECTED, ApprovalState.REJECTED)
    again = approval_store.reject(approval.id, by="U-req", digest=approval.digest, now=SOON)
    assert (again.result, again.state) == (VoteResult.NOT_PENDING, ApprovalState.REJECTED)
    assert approval_store.get(approval.id).decided_by == "U-req"  # type: ignore[union-attr]
    assert approval_store.list_pending() == []


def test_unknown_ids_answer_not_found(approval_store: ApprovalStore) -> None:
    digest = plan().digest
    assert (
        vote(approval_store, "nope", voter_id="U", digest=digest, counts_for=[0], now=SOON).result
        is VoteResult.NOT_FOUND
    )
    assert approval_store.reject("nope", by="U", digest=digest, now=SOON).result is (
        VoteResult.NOT_FOUND
    )
    assert approval_store.refuse("nope", by="U", reasons=[]).result is VoteResult.NOT_FOUND


def test_finish_records_the_result_only_after_execute(approval_store: ApprovalStore) -> None:
    approval = make_approval()
    approval_store.create(approval)
    with pytest.raises(InvalidTransition, match="pending, not executing"):
        approval_store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval))

    vote(
        approval_store,
        approval.id,
        voter_id="U-a",
        digest=approval.digest,
        counts_for=[0],
        now=SOON,
    )
    with pytest.raises(InvalidTransition, match="done or failed"):
        approval_store.finish(approval.id, state=ApprovalState.PENDING, report=ran(approval))
    approval_store.finish(approval.id, state=ApprovalState.FAILED, report=ran(approval, ok=False))
    stored = approval_store.get(approval.id)
    assert stored is not None
    assert (stored.state, stored.outcome) == (
        ApprovalState.FAILED,
        Executed(report=ran(approval, ok=False)),
    )
    with pytest.raises(InvalidTransition, match="failed, not executing"):
        approval_store.finish(approval.id, state=ApprovalState.DONE, report=ran(approval))
    with pytest.raises(ApprovalNotFound):
        approval_store.finish("no-such-id", state=ApprovalState.DONE, report=ran(approval))


def test_bind_message_moves_the_lookup_to_the_new_message(approval_store: ApprovalStore) -> None:
    first = MessageRef(platform="slack", channel="C-ops", ts="1.1")
    second = MessageRef(platform="slack", channel="C-ops", ts="2.2")
    approval = make_approval()
    approval_store.create(approval)
    assert approval_store.find_by_message(first) is None

    approval_store.bind_message(approval.id, first)
    assert approval_store.find_by_message(first) == approval.id
    approval_store.bind_message(approval.id, second)
    assert approval_store.find_by_message(first) is None
    assert approval_store.find_by_message(second) == approval.id
    assert approval_store.get(approval.id).message == second  # type: ignore[union-attr]
    with pytest.raises(ApprovalNotFound):
        approval_store.bind_message("no-such-id", first)


def test_list_pending_is_ordered_by_expiry_with_votes(approval_store: ApprovalStore) -> None:
    later = make_approval(ttl_seconds=900, requirements=[requirement(2, "sre")])
    sooner = make_approval(ttl_seconds=300)
    approval_store.create(later)
    approval_store.create(sooner)
    vote(approval_store, later.id, voter_id="U-a", digest=later.digest, counts_for=[0], now=SOON)

    pending = approval_store.list_pending()
    assert [a.id for a in pending] == [sooner.id, later.id]
    assert counted(pending[1]).votes == {"U-a": [0]}


def test_claim_event_has_one_winner_per_key(approval_store: ApprovalStore) -> None:
    assert approval_store.claim_event("slack:Ev123", ttl_seconds=60) is True
    assert approval_store.claim_event("slack:Ev123", ttl_seconds=60) is False
    assert approval_store.claim_event("slack:Ev124", ttl_seconds=60) is True
    approval_store.ping()
