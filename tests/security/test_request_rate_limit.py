"""Per-user request rate limit on EVERY request (explicit reads and writes, help, plain
language), shared by replicas through Redis, with a clear reply. Before, only LLM requests were
limited: one user could flood the bot (and the cluster behind it) with explicit commands."""

from __future__ import annotations

import uuid
from pathlib import Path

from bot.config import Settings
from bot.models import Principal, Request
from bot.replies import ReplyKind
from bot.service import OpsService
from bot.wiring import build

POLICY = """
grants:
  - name: everyone
    users: ["*"]
    actions: ["*"]
approvals:
  - name: one
    actions: [write, destructive]
    count: 1
    approver_groups: [sre]
    expires_after: 10m
"""


def _replica(redis_url: str, prefix: str, policy: Path, *, limit: int) -> OpsService:
    settings = Settings(
        redis_url=redis_url,
        key_prefix=prefix,
        policy_path=policy,
        kube_disabled=True,
        docker_disabled=True,
        request_rate_limit_per_minute=limit,
    )
    return build(settings).service


def _ask(service: OpsService, user: str, text: str) -> tuple[ReplyKind, str]:
    reply = service.handle_request(
        Request(principal=Principal(id=user), text=text, event_id=uuid.uuid4().hex)
    )
    return reply.kind, reply.text


def test_every_kind_of_request_counts_and_replicas_share_the_limit(
    redis_url: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    first = _replica(redis_url, prefix, policy, limit=4)
    second = _replica(redis_url, prefix, policy, limit=4)
    asked = [
        _ask(first, "mallory", "help"),
        _ask(second, "mallory", "docker ps"),
        _ask(first, "mallory", "scale deploy/web --replicas 2 -n prod"),
        _ask(second, "mallory", "logs pod/api-1 -n prod"),
    ]
    assert all("too fast" not in text for _, text in asked), asked
    for service, text in [
        (first, "help"),
        (second, "docker ps"),
        (first, "scale deploy/web --replicas 3 -n prod"),
    ]:
        kind, said = _ask(service, "mallory", text)
        assert kind == ReplyKind.RATE_LIMITED, (text, kind, said)
        assert said.startswith("You are sending requests too fast: try again in ")
        seconds = int(said.removeprefix("You are sending requests too fast: try again in ")[:-2])
        assert 1 <= seconds <= 60 and said.endswith(" s")
    # the limit is per user: someone else is served
    assert "too fast" not in _ask(second, "alice", "help")[1]


def test_a_duplicate_delivery_is_not_counted(redis_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    service = _replica(redis_url, f"t{uuid.uuid4().hex[:10]}", policy, limit=1)
    request = Request(principal=Principal(id="mallory"), text="help", event_id="Ev1")
    assert service.handle_request(request).kind == ReplyKind.HELP
    assert service.handle_request(request).kind == ReplyKind.DUPLICATE
    assert "too fast" in _ask(service, "mallory", "help")[1]
