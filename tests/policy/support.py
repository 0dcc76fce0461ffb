"""Helpers for policy tests: write a policy YAML to a temp folder and build real engines."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.models import Principal
from bot.plan import Plan
from bot.policy import Decision, PolicyEngine, load_policy

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
WEDNESDAY = datetime.fromisoformat("2026-11-18T10:00:00+01:00")


def write(folder: Path, text: str, name: str = "policy.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def engine(folder: Path, text: str) -> PolicyEngine:
    return PolicyEngine(load_policy(write(folder, text)))


def plan(*steps: dict[str, Any]) -> Plan:
    return Plan.model_validate({"steps": list(steps)})


def who(user: str, *groups: str) -> Principal:
    return Principal(id=user, groups=frozenset(groups))


def decide(
    eng: PolicyEngine, user: Principal, *steps: dict[str, Any], now: datetime = WEDNESDAY
) -> Decision:
    return eng.evaluate(plan(*steps), user, now=now)


def scale(namespace: str = "staging", replicas: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "operation": "scale_deployment",
        "namespace": namespace,
        "name": "web",
        "replicas": replicas,
        **extra,
    }
