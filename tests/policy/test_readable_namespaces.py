"""PolicyEngine.readable_namespaces: what the LLM planner may be shown (review finding L2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.policy import PolicyEngine, load_engine_or_deny
from tests.policy.support import POLICIES, WEDNESDAY, engine, who, write

NAMESPACES = ["default", "staging", "prod", "kube-system", "team-a", "team-b"]


def test_default_policy_hides_kube_system_from_everyone_without_a_grant() -> None:
    eng = load_engine_or_deny(POLICIES)
    assert eng.ok
    expected = ["default", "staging", "prod", "team-a", "team-b"]
    for person in (who("bob", "dev"), who("eve"), who("mallory", "admins")):
        assert eng.readable_namespaces(person, NAMESPACES, now=WEDNESDAY) == expected


def test_default_policy_static_groups_count() -> None:
    """alice is SRE through the policy's static groups, and SRE may read kube-system."""
    eng = load_engine_or_deny(POLICIES)
    assert eng.readable_namespaces(who("alice"), NAMESPACES, now=WEDNESDAY) == NAMESPACES


def test_reads_only_in_team_namespaces(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        """
groups: {alice: [sre]}
grants:
  - {name: team-reads, users: ["*"], actions: [list_pods, pod_logs], namespaces: ["team-*"]}
  - {name: sre-reads, groups: [sre], actions: [read]}
""",
    )
    got = eng.readable_namespaces(who("bob", "dev"), NAMESPACES, now=WEDNESDAY)
    assert got == ["team-a", "team-b"]
    assert eng.readable_namespaces(who("alice"), NAMESPACES, now=WEDNESDAY) == NAMESPACES


def test_reads_gated_by_an_approval_rule_or_a_deny_are_not_readable(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        """
grants:
  - {users: ["*"], actions: [read]}
denies:
  - {actions: [list_pods], namespaces: [vault], reason: secrets live here}
approvals:
  - {actions: [list_pods], namespaces: [audit], approver_groups: [security]}
""",
    )
    got = eng.readable_namespaces(who("bob"), ["a", "vault", "audit", "b"], now=WEDNESDAY)
    assert got == ["a", "b"]


def test_order_kept_repeats_and_invalid_names_dropped(tmp_path: Path) -> None:
    eng = engine(tmp_path, 'grants:\n  - {users: ["*"], actions: [read]}\n')
    names = ["b", "a", "b", "*", "Not_Valid", "", "a"]
    assert eng.readable_namespaces(who("bob"), names, now=WEDNESDAY) == ["b", "a"]
    assert eng.readable_namespaces(who("bob"), iter(["x", "y"]), now=WEDNESDAY) == ["x", "y"]


def test_context_scoped_grants_use_the_given_context(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        """
grants:
  - {users: ["*"], actions: [read], contexts: [staging-cluster]}
""",
    )
    assert eng.readable_namespaces(who("bob"), ["a"], now=WEDNESDAY) == []
    got = eng.readable_namespaces(who("bob"), ["a"], now=WEDNESDAY, context="staging-cluster")
    assert got == ["a"]


def test_broken_engine_and_failures_give_nothing(tmp_path: Path) -> None:
    broken = load_engine_or_deny(write(tmp_path, "grants: [oops]\n"))
    assert not broken.ok
    assert broken.readable_namespaces(who("alice", "sre"), NAMESPACES, now=WEDNESDAY) == []
    assert PolicyEngine.broken("test").readable_namespaces(who("a"), ["x"], now=WEDNESDAY) == []

    def exploding() -> Iterator[str]:
        yield "x"
        raise OSError("namespace listing failed")

    eng = engine(tmp_path, 'grants:\n  - {users: ["*"], actions: [read]}\n')
    assert eng.readable_namespaces(who("bob"), exploding(), now=WEDNESDAY) == []
    not_a_principal = None
    assert eng.readable_namespaces(not_a_principal, ["x"], now=WEDNESDAY) == []  # type: ignore[arg-type]
