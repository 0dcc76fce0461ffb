"""The alert principal's own limits (issue 13): an alert storm sends many requests as one
principal, so with the receiver on (`alerts_routing` set) `alertmanager` gets its own request
window (OPSBOT_ALERTS_RATE_LIMIT_PER_MINUTE) and pending-plan cap (OPSBOT_ALERTS_MAX_PENDING)
instead of one chat user's; chat users keep theirs. Through the real wired service and Redis."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.models import Principal, Request
from bot.replies import ReplyKind
from bot.service import OpsService
from bot.wiring import build

POLICY = """
grants:
  - {name: everyone, users: ["*"], actions: ["*"]}
approvals:
  - {name: one-sre, actions: [write, destructive], count: 1, approver_groups: [sre],
     expires_after: 10m}
"""
ALERTS = Principal(id="alertmanager")
BOB = Principal(id="bob")


def _service(tmp_path: Path, redis_url: str, *, alerts_on: bool, **limits: Any) -> OpsService:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    routing = tmp_path / "routing.yaml"
    routing.write_text("routes: []\nunrouted: default\ndefault_channel: C0ALERTS\n")
    settings = Settings.model_validate(
        {
            "policy_path": policy,
            "redis_url": redis_url,
            "key_prefix": f"t{uuid.uuid4().hex[:10]}",
            "kube_disabled": True,
            "docker_disabled": True,
            "alerts_routing": routing if alerts_on else None,
            **limits,
        }
    )
    return build(settings).service


def _kinds(service: OpsService, who: Principal, text: str, times: int) -> list[ReplyKind]:
    return [
        service.handle_request(Request(principal=who, text=text, event_id=uuid.uuid4().hex)).kind
        for _ in range(times)
    ]


def test_the_alert_principal_has_its_own_request_window(tmp_path: Path, redis_url: str) -> None:
    service = _service(
        tmp_path,
        redis_url,
        alerts_on=True,
        request_rate_limit_per_minute=3,
        alerts_rate_limit_per_minute=8,
    )
    alerts = _kinds(service, ALERTS, "help", 9)
    assert ReplyKind.RATE_LIMITED not in alerts[:8]
    assert alerts[8] is ReplyKind.RATE_LIMITED
    human = _kinds(service, BOB, "help", 4)
    assert ReplyKind.RATE_LIMITED not in human[:3] and human[3] is ReplyKind.RATE_LIMITED


def test_without_the_receiver_alertmanager_is_an_ordinary_user(
    tmp_path: Path, redis_url: str
) -> None:
    service = _service(
        tmp_path,
        redis_url,
        alerts_on=False,
        request_rate_limit_per_minute=3,
        alerts_rate_limit_per_minute=8,
    )
    assert _kinds(service, ALERTS, "help", 4)[3] is ReplyKind.RATE_LIMITED


def test_the_alert_principal_has_its_own_pending_plan_cap(tmp_path: Path, redis_url: str) -> None:
    service = _service(
        tmp_path, redis_url, alerts_on=True, max_pending_per_user=1, alerts_max_pending=3
    )
    asks = [f"scale deploy/web{i} to 3 in dev" for i in range(4)]
    alerts = [_kinds(service, ALERTS, text, 1)[0] for text in asks]
    assert alerts == [ReplyKind.NEEDS_APPROVAL] * 3 + [ReplyKind.INVALID]
    human = [_kinds(service, BOB, text, 1)[0] for text in asks[:2]]
    assert human == [ReplyKind.NEEDS_APPROVAL, ReplyKind.INVALID]
