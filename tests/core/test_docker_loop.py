"""The whole loop against a real Docker daemon: read at once, write after approval, undo."""

from __future__ import annotations

import uuid

import docker
import pytest

from bot.approvals.models import ApprovalState, VoteResult
from bot.models import MessageRef, Request
from bot.replies import PlanExecuted, ReplyKind, VoteAnswered
from tests.core.conftest import ALICE, BOB, CAROL, ServiceFactory
from tests.fixtures._labels import TEST_LABELS


@pytest.fixture
def web(docker_cleanup: docker.DockerClient, busybox_image: str) -> str:
    """A running container named uniquely per test (`loop<hex>-web-1`), so runs never collide."""
    name = f"loop{uuid.uuid4().hex[:6]}-web-1"
    docker_cleanup.containers.run(
        busybox_image,
        ["sleep", "300"],
        name=name,
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )
    return name


@pytest.fixture
def service(make_service: ServiceFactory, docker_host: str, redis_url: str, redis_client):  # type: ignore[no-untyped-def]
    return make_service(
        redis_url=redis_url, docker_disabled=False, docker_hosts={"default": docker_host}
    )


def _ref(approval_id: str) -> MessageRef:
    return MessageRef(platform="test", channel="C1", ts=approval_id)


def test_read_runs_at_once(service, web: str) -> None:  # type: ignore[no-untyped-def]
    reply = service.handle_request(Request(principal=BOB, text="docker ps"))
    assert reply.kind == ReplyKind.RESULT
    assert reply.execution is not None and reply.execution.ok
    assert web in reply.text


def test_write_waits_for_an_authorized_approver_then_runs_once_and_undoes(  # type: ignore[no-untyped-def]
    service, web: str, docker_client: docker.DockerClient
) -> None:
    reply = service.handle_request(Request(principal=ALICE, text=f"docker stop {web} -t 0"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL, reply.text
    assert reply.approval_id
    assert reply.previews and reply.previews[0].desired.get("running") is False
    assert docker_client.containers.get(web).status == "running"  # nothing ran yet
    service.attach_message(reply.approval_id, _ref(reply.approval_id))

    own = service.vote(message=_ref(reply.approval_id), voter=ALICE, approve=True)
    assert own.result == VoteResult.UNAUTHORIZED
    assert "own request" in own.text
    dev = service.vote(message=_ref(reply.approval_id), voter=BOB, approve=True)
    assert dev.result == VoteResult.UNAUTHORIZED
    assert "sre" in dev.text
    assert docker_client.containers.get(web).status == "running"

    started: list[str] = []
    approved = service.vote(
        message=_ref(reply.approval_id),
        voter=CAROL,
        approve=True,
        on_executing=lambda approval: started.append(
            docker_client.containers.get(web).status  # still running: told before the step
        ),
    )
    assert started == ["running"]
    assert isinstance(approved, PlanExecuted) and approved.execution.ok
    assert approved.state == ApprovalState.DONE
    assert docker_client.containers.get(web).status == "exited"

    again = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=True)
    assert isinstance(again, VoteAnswered)
    assert again.result in {VoteResult.NOT_PENDING, VoteResult.DUPLICATE}

    undo = service.request_undo(message=_ref(reply.approval_id), requester=ALICE)
    assert undo.kind == ReplyKind.NEEDS_APPROVAL
    assert undo.plan is not None and undo.plan.steps[0].kind == "start_container"
    assert undo.approval_id
    service.attach_message(undo.approval_id, _ref(undo.approval_id))
    done = service.vote(message=_ref(undo.approval_id), voter=CAROL, approve=True)
    assert done.result == VoteResult.EXECUTE
    assert docker_client.containers.get(web).status == "running"

    entries = service.audit.recent(50)
    events = [e.event for e in entries]
    for expected in ("decision", "approval_created", "vote_refused", "vote", "executed"):
        assert expected in events
    stop = next(e for e in entries if e.event == "executed" and e.approval_id == reply.approval_id)
    assert stop.requester == "alice" and stop.approvers == ["carol"]
    assert stop.plan_digest == reply.plan.digest  # type: ignore[union-attr]
    assert stop.outcome == "ok"
    assert stop.before and stop.before[0] is not None and stop.before[0]["running"] is True
    assert stop.after and stop.after[0] is not None and stop.after[0]["running"] is False
    assert stop.details["calls"] and "stop" in stop.details["calls"][0]


def test_rejection_closes_the_plan(service, web: str, docker_client) -> None:  # type: ignore[no-untyped-def]
    reply = service.handle_request(Request(principal=ALICE, text=f"docker restart {web}"))
    assert reply.approval_id
    service.attach_message(reply.approval_id, _ref(reply.approval_id))
    started = docker_client.containers.get(web).attrs["State"]["StartedAt"]
    rejected = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=False)
    assert rejected.result == VoteResult.REJECTED
    late = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=True)
    assert late.result == VoteResult.NOT_PENDING
    assert docker_client.containers.get(web).attrs["State"]["StartedAt"] == started


def test_unknown_container_is_a_clear_error(service, web: str) -> None:  # type: ignore[no-untyped-def]
    missing = web.removesuffix("-1") + "-9"
    reply = service.handle_request(Request(principal=BOB, text=f"docker logs {missing}"))
    assert reply.kind == ReplyKind.RESULT
    assert reply.execution is not None and not reply.execution.ok
    assert missing in reply.text
    assert web in reply.text  # did-you-mean suggestion


def test_duplicate_event_produces_nothing(service, web: str) -> None:  # type: ignore[no-untyped-def]
    request = Request(principal=ALICE, text=f"docker stop {web}", event_id=f"Ev-{uuid.uuid4().hex}")
    first = service.handle_request(request)
    second = service.handle_request(request)
    assert first.kind == ReplyKind.NEEDS_APPROVAL
    assert second.kind == ReplyKind.DUPLICATE
    assert len(service.store.list_pending()) == 1


def test_undo_is_offered_only_when_its_operation_is_enabled(  # type: ignore[no-untyped-def]
    make_service: ServiceFactory,
    docker_host: str,
    redis_url: str,
    web: str,
    docker_client: docker.DockerClient,
) -> None:
    """A deployment that enables `stop_container` but not `start_container` cannot undo a
    stop: the bot must not offer an undo that policy would then refuse (issue 9 §6)."""
    service = make_service(
        redis_url=redis_url,
        docker_disabled=False,
        docker_hosts={"default": docker_host},
        enabled_operations=["list_containers", "stop_container"],
    )
    reply = service.handle_request(Request(principal=ALICE, text=f"docker stop {web} -t 0"))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL, reply.text
    assert reply.approval_id
    service.attach_message(reply.approval_id, _ref(reply.approval_id))
    approved = service.vote(message=_ref(reply.approval_id), voter=CAROL, approve=True)
    assert isinstance(approved, PlanExecuted) and approved.execution.ok
    assert docker_client.containers.get(web).status == "exited"
    assert approved.execution.undo_plan is None

    undo = service.request_undo(message=_ref(reply.approval_id), requester=ALICE)
    assert undo.kind == ReplyKind.INVALID
    assert "cannot be undone" in undo.text
    assert docker_client.containers.get(web).status == "exited"
