"""Several matching approval rules: each is its own requirement and every one must be met
(security review M3: a generic rule must not hide a scope-specific one)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.approvals.counting import count_and_start
from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.models import Ballot, PendingApproval, VoteResult
from bot.models import Principal
from bot.policy import Decision, Outcome, PolicyEngine
from tests.policy.support import WEDNESDAY, decide, engine, plan, scale, who

# The verified scenario of the review: a generic rule and a production rule.
GENERIC_AND_PROD = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {name: any-two, actions: [write], count: 2, approver_groups: ["*"], expires_after: 1h}
  - name: prod-sre
    actions: [write]
    namespaces: [prod]
    count: 1
    approver_groups: [sre]
    allow_self_approval: true
    expires_after: 10m
"""


def admitting(decision: Decision, voter: Principal, requester: Principal) -> list[int]:
    """Indexes of the requirements `voter` counts toward (as PendingApproval.counted does)."""
    return [i for i, r in enumerate(decision.requirements) if r.admits(voter, requester)]


def _votes_until_done(
    eng: PolicyEngine, decision: Decision, requester: Principal, voters: list[Principal]
) -> list[VoteResult]:
    """Vote through the real memory store the way the service does: each voter counts toward
    every requirement it satisfies (`admitting`)."""
    store = MemoryApprovalStore()
    the_plan = plan(scale("prod"))
    store.create(
        PendingApproval(
            id="a1",
            plan=the_plan,
            requester=requester,
            requirements=decision.requirements,
            created_at=WEDNESDAY,
            expires_at=WEDNESDAY + timedelta(seconds=decision.ttl_seconds or 0),
        )
    )
    results: list[VoteResult] = []
    for at, voter in enumerate(voters):
        counts = admitting(decision, eng.effective_principal(voter), requester)
        if counts:
            store.record_ballot(
                "a1",
                ballot=Ballot(voter=voter, approve=True, at_us=at),
                digest=the_plan.digest,
                now=WEDNESDAY,
            )
            outcome = count_and_start(
                store,
                "a1",
                requirements=decision.requirements,
                current=eng.effective_principal,
                by=voter.id,
                now=WEDNESDAY,
            ).outcome
            results.append(outcome.result)
    return results


def test_prod_change_needs_the_generic_and_the_prod_rule(tmp_path: Path) -> None:
    eng = engine(tmp_path, GENERIC_AND_PROD)
    decision = decide(eng, who("bob", "dev"), scale("prod"))
    assert decision.outcome == Outcome.NEEDS_APPROVAL
    assert [(r.rule, r.count, r.approver_groups) for r in decision.requirements] == [
        ("any-two", 2, frozenset({"*"})),
        ("prod-sre", 1, frozenset({"sre"})),
    ]
    assert decision.ttl_seconds == 600  # the soonest expiry of the two
    staging = decide(eng, who("bob", "dev"), scale("staging"))
    assert [r.rule for r in staging.requirements] == ["any-two"]


def test_two_non_sre_votes_do_not_complete_a_prod_change(tmp_path: Path) -> None:
    eng = engine(tmp_path, GENERIC_AND_PROD)
    bob = who("bob", "dev")
    decision = decide(eng, bob, scale("prod"))
    two_devs = _votes_until_done(eng, decision, bob, [who("dave", "dev"), who("erin", "qa")])
    assert two_devs == [VoteResult.RECORDED, VoteResult.RECORDED]  # SRE has not voted yet
    with_sre = _votes_until_done(
        eng, decision, bob, [who("dave", "dev"), who("erin", "qa"), who("carol", "sre")]
    )
    assert with_sre == [VoteResult.RECORDED, VoteResult.RECORDED, VoteResult.EXECUTE]


def test_one_voter_counts_toward_every_requirement_it_satisfies(tmp_path: Path) -> None:
    eng = engine(tmp_path, GENERIC_AND_PROD)
    bob = who("bob", "dev")
    decision = decide(eng, bob, scale("prod"))
    assert admitting(decision, who("carol", "sre"), bob) == [0, 1]
    assert admitting(decision, who("dave", "dev"), bob) == [0]
    # carol (SRE) plus one more person: both rules met with two votes
    votes = _votes_until_done(eng, decision, bob, [who("carol", "sre"), who("dave", "dev")])
    assert votes == [VoteResult.RECORDED, VoteResult.EXECUTE]


def test_each_requirement_keeps_its_own_self_approval_flag(tmp_path: Path) -> None:
    eng = engine(tmp_path, GENERIC_AND_PROD)
    alice = who("alice", "sre")
    decision = decide(eng, alice, scale("prod"))
    generic, prod = decision.requirements
    assert (generic.allow_self_approval, prod.allow_self_approval) == (False, True)
    # alice's own vote counts only for the rule that allows self-approval
    assert admitting(decision, alice, alice) == [1]


def test_two_scoped_rules_are_both_required_and_deduplicated_across_steps(
    tmp_path: Path,
) -> None:
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {name: prod-sre, actions: [write], namespaces: [prod], approver_groups: [sre]}
  - name: prod-dba
    actions: [scale_deployment]
    namespaces: ["prod*"]
    approver_users: [dana]
    expires_after: 5m
"""
    eng = engine(tmp_path, text)
    decision = decide(
        eng,
        who("bob"),
        scale("prod"),
        scale("prod", 5),
        {"operation": "restart_deployment", "namespace": "prod", "name": "web"},
    )
    assert decision.outcome == Outcome.NEEDS_APPROVAL
    assert [r.rule for r in decision.requirements] == ["prod-sre", "prod-dba"]
    assert [[r.rule for r in s.requirements] for s in decision.steps] == [
        ["prod-sre", "prod-dba"],
        ["prod-sre", "prod-dba"],
        ["prod-sre"],
    ]
    assert decision.ttl_seconds == 300
    assert admitting(decision, who("carol", "sre"), who("bob")) == [0]
    assert admitting(decision, who("dana"), who("bob")) == [1]


def test_identical_rules_under_one_name_are_one_requirement(tmp_path: Path) -> None:
    """The same rule matched by several steps is asked for once, not once per step."""
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {name: one-sre, actions: [write], approver_groups: [sre]}
"""
    eng = engine(tmp_path, text)
    decision = decide(eng, who("bob"), scale("a"), scale("b"), scale("c"))
    assert [r.rule for r in decision.requirements] == ["one-sre"]
