"""Two bot "pods" over one approval store: the first with the policy a plan was requested
under, the second with the policy the chart rolled out while it waited (a new PolicyEngine and
service over the same Redis key space, or the same in-process store)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.store import ApprovalStore
from bot.config import Settings
from bot.models import MessageRef, Principal, Request
from bot.replies import ReplyKind
from bot.service import OpsService
from bot.wiring import build

ALICE = Principal(id="alice")
BOB = Principal(id="bob")
CAROL = Principal(id="carol")
DAVE = Principal(id="dave")
ERIN = Principal(id="erin")

ASK = "scale deploy/web to 3 in dev"


def policy(
    *,
    count: int = 1,
    approvers: str = "sre",
    self_approval: bool = False,
    bob_groups: str = "dev",
    carol_groups: str = "sre",
) -> str:
    return f"""
groups:
  alice: [sre]
  carol: [{carol_groups}]
  dave: [sre]
  erin: [ops]
  bob: [{bob_groups}]
grants:
  - name: all-read
    users: ["*"]
    actions: [read]
  - name: dev-write
    groups: [dev]
    actions: [write]
approvals:
  - name: approvers
    actions: [write]
    count: {count}
    approver_groups: [{approvers}]
    allow_self_approval: {str(self_approval).lower()}
    expires_after: 10m
"""


class Pods:
    """`pod(policy_text)`: a new bot pod with that policy over the one shared store."""

    def __init__(self, tmp_path: Path, redis_url: str | None) -> None:
        self.tmp_path = tmp_path
        self.redis_url = redis_url
        self.prefix = f"opsbot-s{uuid.uuid4().hex[:8]}"
        self.memory: ApprovalStore | None = None if redis_url else MemoryApprovalStore()

    def pod(self, policy_text: str, **overrides: object) -> OpsService:
        path = self.tmp_path / f"policy-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(policy_text)
        settings = Settings.model_validate(
            {
                "policy_path": path,
                "redis_url": self.redis_url,
                "key_prefix": self.prefix,
                "kube_disabled": True,
                "docker_disabled": True,
                **overrides,
            }
        )
        return build(settings, store=self.memory).service


@pytest.fixture(name="pods", params=["memory", "redis"])
def pods_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Pods:
    if request.param == "memory":
        return Pods(tmp_path, None)
    return Pods(tmp_path, request.getfixturevalue("redis_url"))


def ask(service: OpsService, who: Principal = BOB, text: str = ASK) -> MessageRef:
    reply = service.handle_request(Request(principal=who, text=text))
    assert reply.kind == ReplyKind.NEEDS_APPROVAL and reply.approval_id, reply.text
    message = MessageRef(platform="test", channel="C1", ts=uuid.uuid4().hex)
    service.attach_message(reply.approval_id, message)
    return message
