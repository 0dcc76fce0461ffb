"""A plan whose bot replica stopped mid-run stays `executing`: the service marks it failed
(interrupted, never re-run), audits it and hands it to the adapter, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.models import ApprovalState, Interrupted, PendingApproval, VoteResult
from bot.models import MessageRef, Request
from bot.replies import PlanExecuted, ReplyKind
from bot.service import OpsService
from tests.approvals.helpers import vote
from tests.core.conftest import ALICE, CAROL, ServiceFactory

# real time: Redis ages records out by its own clock, so they must be live now
START = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(params=["memory", "redis"])
def service_and_clock(
    request: pytest.FixtureRequest, make_service: ServiceFactory
) -> tuple[OpsService, list[datetime]]:
    now = [START]
    if request.param == "memory":
        return make_service(store=MemoryApprovalStore(), clock=lambda: now[0]), now
    request.getfixturevalue("redis_client")  # flushed
    redis_url: str = request.getfixturevalue("redis_url")
    return make_service(redis_url=redis_url, clock=lambda: now[0]), now


def _approved_but_never_finished(service: OpsService, *, at: datetime) -> PendingApproval:
    """The state a replica leaves behind when it dies after the completing vote: the store
    moved the plan to executing, and nothing ever ran or finished it."""
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL and reply.approval_id, reply.text
    approval = service.store.get(reply.approval_id)
    assert approval is not None
    outcome = vote(
        service.store,
        approval.id,
        voter_id="carol",
        digest=approval.digest,
        counts_for=[0],
        now=at,
    )
    assert outcome.result is VoteResult.EXECUTE
    return approval


def test_a_stale_execution_is_recovered_once_audited_and_failed(
    service_and_clock: tuple[OpsService, list[datetime]],
) -> None:
    service, now = service_and_clock
    approval = _approved_but_never_finished(service, at=now[0])

    now[0] = START + timedelta(minutes=14)
    assert service.recover_interrupted(older_than_seconds=900) == []
    now[0] = START + timedelta(minutes=16)
    recovered = service.recover_interrupted(older_than_seconds=900)

    assert [a.id for a in recovered] == [approval.id]
    assert recovered[0].outcome == Interrupted()
    assert service.recover_interrupted(older_than_seconds=900) == []
    stored = service.store.get(approval.id)
    assert stored is not None and stored.state is ApprovalState.FAILED
    entries = [e for e in service.audit.recent(50) if e.event == "interrupted"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.requester, entry.approval_id, entry.plan_digest) == (
        "alice",
        approval.id,
        approval.digest,
    )
    assert entry.plan == approval.plan.describe()
    assert "executed" not in [e.event for e in service.audit.recent(50)]  # never re-run


def test_the_default_cutoff_is_fifteen_minutes(
    service_and_clock: tuple[OpsService, list[datetime]],
) -> None:
    service, now = service_and_clock
    approval = _approved_but_never_finished(service, at=now[0])
    now[0] = START + timedelta(seconds=899)
    assert service.recover_interrupted() == []
    now[0] = START + timedelta(seconds=901)
    assert [a.id for a in service.recover_interrupted()] == [approval.id]


def test_an_execution_that_outlasts_the_cutoff_still_answers_its_vote(
    service_and_clock: tuple[OpsService, list[datetime]],
) -> None:
    """Another replica's sweep marks a very slow run interrupted while it is still running;
    the run's own finish() is then refused by the store, and the vote still gets its result."""
    service, now = service_and_clock
    reply = service.handle_request(Request(principal=ALICE, text="scale deploy/web to 3 in dev"))
    assert reply.approval_id
    ref = MessageRef(channel="C", ts=reply.approval_id)
    service.attach_message(reply.approval_id, ref)
    swept: list[list[PendingApproval]] = []

    def slow_run_meanwhile_swept(_: PendingApproval) -> None:
        now[0] = START + timedelta(minutes=20)
        swept.append(service.recover_interrupted(older_than_seconds=900))

    on_executing: Callable[[PendingApproval], None] = slow_run_meanwhile_swept
    vote = service.vote(message=ref, voter=CAROL, approve=True, on_executing=on_executing)

    assert [[a.id for a in batch] for batch in swept] == [[reply.approval_id]]
    assert isinstance(vote, PlanExecuted)  # the run's result reaches the voter
    stored = service.store.get(reply.approval_id)
    assert stored is not None and stored.state is ApprovalState.FAILED
    assert stored.outcome == Interrupted()  # the late finish did not overwrite it
    events = [e.event for e in service.audit.recent(50)]
    assert "interrupted" in events and "executed" in events  # the real result is audited


def test_console_pending_reports_interrupted_plans(
    service_and_clock: tuple[OpsService, list[datetime]],
) -> None:
    import io

    from bot.adapters.console import ConsoleChat

    service, now = service_and_clock
    approval = _approved_but_never_finished(service, at=now[0])
    out = io.StringIO()
    chat = ConsoleChat(service=service, user=CAROL, out=out, interrupted_after_seconds=600)
    chat.handle("/pending")
    assert "[interrupted]" not in out.getvalue()
    now[0] = START + timedelta(seconds=601)
    chat.handle("/pending")
    shown = out.getvalue()
    assert f"[interrupted] {approval.id}" in shown
    assert approval.plan.describe() in shown
    assert "Check the current state" in shown
