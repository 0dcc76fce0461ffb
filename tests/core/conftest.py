"""Shared builders for the core-loop tests: a small policy and a service wired like production."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.approvals.store import ApprovalStore
from bot.config import Settings
from bot.models import Principal
from bot.service import OpsService
from bot.wiring import build

TEST_POLICY = """
groups:
  alice: [sre]
  carol: [sre]
  bob: [dev]
grants:
  - name: all-read
    users: ["*"]
    actions: [read]
  - name: sre-all
    groups: [sre]
    actions: ["*"]
denies:
  - name: no-kube-system
    actions: [write, destructive]
    namespaces: [kube-system]
    reason: kube-system is off limits
approvals:
  - name: one-sre
    actions: [write, destructive]
    count: 1
    approver_groups: [sre]
    expires_after: 10m
"""

ALICE = Principal(id="alice")
CAROL = Principal(id="carol")
BOB = Principal(id="bob")

ServiceFactory = Callable[..., OpsService]


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(TEST_POLICY)
    return path


@pytest.fixture
def make_service(policy_file: Path) -> ServiceFactory:
    """Build an OpsService through bot.wiring (the production composition root)."""

    def factory(
        *,
        store: ApprovalStore | None = None,
        redis_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
        **overrides: object,
    ) -> OpsService:
        settings = Settings.model_validate(
            {
                "policy_path": policy_file,
                "redis_url": redis_url,
                # its own key space: a shared redis-server (OPSBOT_TEST_REDIS_URL) is not flushed
                "key_prefix": f"opsbot-t{uuid.uuid4().hex[:8]}",
                "kube_disabled": True,
                "docker_disabled": True,
                **overrides,
            }
        )
        return build(settings, store=store, clock=clock).service

    return factory


def fixed_clock(when: datetime) -> Callable[[], datetime]:
    return lambda: when


NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
