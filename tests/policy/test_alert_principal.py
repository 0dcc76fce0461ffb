"""The shipped policy's `alertmanager` principal (issue 13): it may request a fix, and its own
vote never counts toward any write's approval, whoever requested it."""

from __future__ import annotations

from bot.policy import Outcome, PolicyEngine, load_policy
from tests.policy.support import POLICIES, decide, who

ALERTS = who("alertmanager")
ROLLBACK = {"operation": "rollback_deployment", "namespace": "prod", "name": "web"}


def shipped() -> PolicyEngine:
    return PolicyEngine(load_policy(POLICIES / "default.yaml"))


def test_alertmanager_rollback_needs_humans_and_its_vote_never_counts() -> None:
    eng = shipped()
    for requester in (ALERTS, who("alice", "sre"), who("bob", "dev")):
        decision = decide(eng, requester, ROLLBACK)
        if requester.id == "bob":
            assert decision.outcome is Outcome.DENY
            continue
        assert decision.outcome is Outcome.NEEDS_APPROVAL
        assert decision.requirements
        assert not any(r.admits(ALERTS, requester) for r in decision.requirements)
        carol = who("carol", "sre")
        assert all(r.admits(carol, requester) for r in decision.requirements)


def test_alertmanager_is_granted_no_write_beyond_its_runbook_fixes() -> None:
    eng = shipped()
    denied = [
        {"operation": "delete_pod", "namespace": "staging", "name": "web-1"},
        {"operation": "scale_deployment", "namespace": "staging", "name": "web", "replicas": 0},
        {"operation": "drain_node", "name": "worker-1"},
    ]
    for step in denied:
        decision = decide(eng, ALERTS, step)
        assert decision.outcome is Outcome.DENY, step
        assert any("no grant lets alertmanager" in r for r in decision.reasons), decision.reasons
