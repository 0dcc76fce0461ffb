"""The front-end contract (bot/service/contract.py), run by a minimal front end written here:
request -> preview -> vote -> execution -> undo against the real service, a real Redis and a
real Docker daemon. A new platform (Matrix, an alert receiver) needs nothing more than this."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docker
import pytest

from bot.approvals.models import PendingApproval, VoteResult
from bot.config import Settings
from bot.models import MessageRef, Principal, Request
from bot.replies import (
    DuplicateReply,
    NeedsApprovalReply,
    PlanExecuted,
    Reply,
    ResultReply,
    VoteIgnored,
    VoteReply,
)
from bot.service import ChatService
from bot.wiring import build
from tests.core.conftest import ALICE, CAROL, TEST_POLICY
from tests.fixtures._labels import TEST_LABELS


@dataclass
class TinyFrontEnd:
    """A chat platform in a few lines: messages are numbered posts in one room."""

    service: ChatService
    posts: list[str] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)  # message ts -> digest it shows

    def post(self, text: str) -> MessageRef:
        self.posts.append(text)
        return MessageRef(platform="tiny", channel="room", ts=str(len(self.posts)))

    def said(self, who: Principal, text: str, *, event_id: str) -> Reply:
        reply = self.service.handle_request(
            Request(principal=who, text=text, source="tiny", channel="room", event_id=event_id)
        )
        if isinstance(reply, DuplicateReply):
            return reply  # post nothing
        message = self.post(reply.text)
        if isinstance(reply, NeedsApprovalReply):
            self.service.attach_message(reply.approval_id, message)
            self.shown[message.ts] = reply.plan.digest
        return reply

    def reacted(self, who: Principal, message: MessageRef, *, event_id: str) -> VoteReply:
        executing: list[PendingApproval] = []
        vote = self.service.vote(
            message=message,
            voter=who,
            approve=True,
            event_id=event_id,
            event_time=datetime.now(UTC),
            shown_digest=self.shown[message.ts],
            on_executing=executing.append,
        )
        match vote:
            case PlanExecuted(approval=approval):
                assert [a.id for a in executing] == [approval.id]
                self.post(vote.text)
            case _:
                assert executing == []
        return vote

    def asked_undo(self, who: Principal, message: MessageRef, *, event_id: str) -> Reply:
        reply = self.service.request_undo(message=message, requester=who, event_id=event_id)
        if isinstance(reply, NeedsApprovalReply):
            undo_message = self.post(reply.text)
            self.service.attach_message(reply.approval_id, undo_message)
            self.shown[undo_message.ts] = reply.plan.digest
        return reply


@pytest.fixture
def front(tmp_path: Path, redis_url: str, docker_host: str) -> TinyFrontEnd:
    policy = tmp_path / "policy.yaml"
    policy.write_text(TEST_POLICY)
    settings = Settings.model_validate(
        {
            "policy_path": policy,
            "redis_url": redis_url,
            "key_prefix": f"opsbot-t{uuid.uuid4().hex[:8]}",
            "kube_disabled": True,
            "docker_disabled": False,
            "docker_hosts": {"default": docker_host},
        }
    )
    return TinyFrontEnd(service=build(settings).service)


@pytest.fixture
def web(docker_cleanup: docker.DockerClient, busybox_image: str) -> str:
    name = f"contract{uuid.uuid4().hex[:6]}-web-1"
    docker_cleanup.containers.run(
        busybox_image,
        ["sleep", "300"],
        name=name,
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )
    return name


def test_the_whole_loop_through_the_contract(
    front: TinyFrontEnd, web: str, docker_client: docker.DockerClient
) -> None:
    read = front.said(CAROL, "docker ps", event_id="e-read")
    assert isinstance(read, ResultReply) and read.execution.ok and web in read.text

    asked = front.said(ALICE, f"docker stop {web} -t 0", event_id="e-stop")
    assert isinstance(asked, NeedsApprovalReply), asked.text
    assert asked.previews and asked.previews[0].desired.get("running") is False
    assert asked.expires_at > datetime.now(UTC) + timedelta(minutes=5)
    # the platform delivers the same event again: the front end posts nothing
    posts = len(front.posts)
    assert isinstance(
        front.said(ALICE, f"docker stop {web} -t 0", event_id="e-stop"), DuplicateReply
    )
    assert len(front.posts) == posts
    preview = MessageRef(platform="tiny", channel="room", ts=str(len(front.posts)))
    assert front.service.approval_for_message(preview) is not None
    assert [a.id for a in front.service.pending_approvals()] == [asked.approval_id]

    own = front.reacted(ALICE, preview, event_id="v-own")
    assert own.result is VoteResult.UNAUTHORIZED
    assert docker_client.containers.get(web).status == "running"

    done = front.reacted(CAROL, preview, event_id="v-carol")
    assert isinstance(done, PlanExecuted) and done.execution.ok
    assert docker_client.containers.get(web).status == "exited"
    again = front.reacted(CAROL, preview, event_id="v-carol")
    assert isinstance(again, VoteIgnored) and again.result is VoteResult.DUPLICATE_EVENT

    undo = front.asked_undo(ALICE, preview, event_id="u-1")
    assert isinstance(undo, NeedsApprovalReply), undo.text
    assert undo.plan.source == "undo"
    undo_message = MessageRef(platform="tiny", channel="room", ts=str(len(front.posts)))
    undone = front.reacted(CAROL, undo_message, event_id="v-undo")
    assert isinstance(undone, PlanExecuted) and undone.execution.ok
    assert docker_client.containers.get(web).status == "running"
    assert front.service.pending_approvals() == []


def test_a_requester_cancels_their_own_plan_by_rejecting_it(
    front: TinyFrontEnd, web: str, docker_client: docker.DockerClient
) -> None:
    asked = front.said(ALICE, f"docker stop {web} -t 0", event_id="e-own")
    assert isinstance(asked, NeedsApprovalReply), asked.text
    preview = MessageRef(platform="tiny", channel="room", ts=str(len(front.posts)))
    cancelled = front.service.vote(
        message=preview,
        voter=ALICE,
        approve=False,
        event_id="r-own",
        shown_digest=asked.plan.digest,
    )
    assert cancelled.result is VoteResult.REJECTED, cancelled.text
    assert front.service.pending_approvals() == []
    late = front.reacted(CAROL, preview, event_id="v-late")
    assert late.result is VoteResult.NOT_PENDING
    assert docker_client.containers.get(web).status == "running"
