"""Every decision path of the engine, on small policies written for each test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

from bot.catalog import Operation, Risk
from bot.catalog.base import BackendKind
from bot.models import Principal
from bot.plan import Plan
from bot.policy import Outcome, load_engine_or_deny
from tests.policy.support import decide, engine, scale, who, write

BASE = """
grants:
  - {name: all-do-all, users: ["*"], actions: ["*"]}
approvals:
  - {name: one-sre, actions: [write, destructive], approver_groups: [sre]}
"""


def test_read_is_allowed_and_write_needs_approval(tmp_path: Path) -> None:
    eng = engine(tmp_path, BASE)
    read = decide(eng, who("eve"), {"operation": "list_pods", "namespace": "x"})
    assert read.outcome == Outcome.ALLOW
    assert read.requirements == []
    write_ = decide(eng, who("eve"), scale())
    assert write_.outcome == Outcome.NEEDS_APPROVAL
    (req,) = write_.requirements
    assert (req.rule, req.count, req.approver_groups) == ("one-sre", 1, frozenset({"sre"}))
    assert req.ttl_seconds == 1800
    assert write_.steps[0].matched_rules == ["all-do-all", "one-sre"]


def test_no_grant_denies_with_who_what_where(tmp_path: Path) -> None:
    eng = engine(tmp_path, "grants:\n  - {groups: [dev], actions: [read]}\n")
    denied = decide(eng, who("bob", "ops"), scale("prod"))
    assert denied.outcome == Outcome.DENY
    assert denied.reasons == ["no grant lets bob run scale_deployment in namespace prod"]


def test_deny_wins_over_grant_and_collects_every_reason(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        BASE
        + """
denies:
  - {name: ks, actions: [write], namespaces: [kube-system], reason: GitOps only}
  - {name: no-scale, actions: [scale_deployment], reason: use the HPA}
""",
    )
    denied = decide(eng, who("alice", "sre"), scale("kube-system"))
    assert denied.outcome == Outcome.DENY
    assert denied.reasons == ["denied by 'ks': GitOps only", "denied by 'no-scale': use the HPA"]
    assert decide(eng, who("a"), {"operation": "restart_deployment", "name": "w"}).outcome == (
        Outcome.NEEDS_APPROVAL
    )


def test_deny_for_some_people_and_exemptions(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        BASE
        + """
denies:
  - {groups: [contractor], actions: [write], reason: contractors only read}
  - {actions: [delete_pod], exempt_groups: [sre], exempt_users: [dave], reason: sre only}
""",
    )
    pod = {"operation": "delete_pod", "name": "p"}
    assert decide(eng, who("c", "contractor"), scale()).outcome == Outcome.DENY
    assert decide(eng, who("x", "dev"), scale()).outcome == Outcome.NEEDS_APPROVAL
    assert decide(eng, who("x", "dev"), pod).reasons == [
        "denied by 'policy.yaml:denies[1]': sre only"
    ]
    assert decide(eng, who("x", "sre"), pod).outcome == Outcome.NEEDS_APPROVAL
    assert decide(eng, who("dave"), pod).outcome == Outcome.NEEDS_APPROVAL


def test_limits_max_and_min_name_the_limit(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        BASE
        + """
limits:
  - name: cap
    actions: [scale_deployment]
    namespaces: [prod]
    max: {replicas: 20}
    min: {replicas: 2}
  - {name: tail, actions: [read], max: {tail_lines: 500, since_seconds: 3600}}
""",
    )
    assert decide(eng, who("a"), scale("prod", 20)).outcome == Outcome.NEEDS_APPROVAL
    high = decide(eng, who("a"), scale("prod", 21))
    assert high.reasons == [
        "limit 'cap': replicas=21 is out of bounds (replicas must be at most 20)"
    ]
    low = decide(eng, who("a"), scale("prod", 0))
    assert "replicas must be at least 2" in low.reasons[0]
    assert decide(eng, who("a"), scale("staging", 500)).outcome == Outcome.NEEDS_APPROVAL
    logs = {"operation": "pod_logs", "name": "p", "tail_lines": 501}
    assert "limit 'tail': tail_lines=501" in decide(eng, who("a"), logs).reasons[0]
    logs_ok = {"operation": "container_logs", "container": "c", "tail_lines": 500}
    assert decide(eng, who("a"), logs_ok).outcome == Outcome.ALLOW
    unset = {"operation": "pod_logs", "name": "p"}  # since_seconds unset: not checked
    assert decide(eng, who("a"), unset).outcome == Outcome.ALLOW


def test_write_without_approval_rule_fails_closed(tmp_path: Path) -> None:
    eng = engine(tmp_path, 'grants:\n  - {users: ["*"], actions: ["*"]}\n')
    denied = decide(eng, who("a"), scale("prod"))
    assert denied.outcome == Outcome.DENY
    assert denied.reasons[0].startswith(
        "no approval rule covers scale_deployment (write) in namespace prod"
    )
    destructive = decide(eng, who("a"), {"operation": "delete_pod", "name": "p"})
    assert destructive.outcome == Outcome.DENY


def test_reads_need_approval_only_when_a_rule_names_them(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {name: anything, actions: ["*"], approver_groups: [sre]}
  - {name: secret-logs, actions: [pod_logs], namespaces: [vault], approver_groups: [security]}
"""
    eng = engine(tmp_path, text)
    assert decide(eng, who("a"), {"operation": "pod_logs", "name": "p"}).outcome == Outcome.ALLOW
    gated = decide(eng, who("a"), {"operation": "pod_logs", "name": "p", "namespace": "vault"})
    assert gated.outcome == Outcome.NEEDS_APPROVAL
    assert gated.requirements[0].approver_groups == frozenset({"security"})


def test_every_matching_approval_rule_is_required(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - name: loose
    actions: [write]
    approver_groups: [dev]
    allow_self_approval: true
    expires_after: 2h
  - {name: two-sre, actions: [write], count: 2, approver_groups: [sre], expires_after: 1h}
  - {name: prod-only-3, actions: [write], namespaces: [prod], count: 3, approver_groups: [ops]}
"""
    eng = engine(tmp_path, text)
    staging = decide(eng, who("a"), scale("staging"))
    assert [(r.rule, r.count) for r in staging.requirements] == [("loose", 1), ("two-sre", 2)]
    assert staging.ttl_seconds == 3600  # the soonest expiry
    assert staging.steps[0].matched_rules[-2:] == ["loose", "two-sre"]
    assert staging.reasons == [
        "scale_deployment in namespace staging needs approval per 'loose' and 'two-sre'"
    ]
    prod = decide(eng, who("a"), scale("prod"))
    assert [r.rule for r in prod.requirements] == ["loose", "two-sre", "prod-only-3"]


def test_approval_rule_for_some_requesters_only(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {name: everyone, actions: [write], approver_groups: [sre]}
  - {name: interns, groups: [intern], actions: [write], count: 2, approver_groups: [sre]}
"""
    eng = engine(tmp_path, text)
    assert [r.rule for r in decide(eng, who("a", "dev"), scale()).requirements] == ["everyone"]
    intern = decide(eng, who("i", "intern"), scale()).requirements
    assert [(r.rule, r.count) for r in intern] == [("everyone", 1), ("interns", 2)]


def test_self_approval_flag_reaches_the_requirement(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: ["*"]}
approvals:
  - {actions: [scale_deployment], approver_groups: [sre], allow_self_approval: true}
  - {actions: [restart_deployment], approver_groups: [sre]}
"""
    eng = engine(tmp_path, text)
    alice = who("alice", "sre")
    self_ok = decide(eng, alice, scale()).requirements[0]
    assert self_ok.allow_self_approval is True
    assert self_ok.admits(alice, alice)
    no_self = decide(eng, alice, {"operation": "restart_deployment", "name": "w"}).requirements[0]
    assert no_self.allow_self_approval is False
    assert not no_self.admits(alice, alice)
    assert no_self.admits(who("carol", "sre"), alice)
    assert not no_self.admits(who("bob", "dev"), alice)


def test_static_groups_merge_with_platform_groups(tmp_path: Path) -> None:
    text = BASE + "groups: {alice: [sre], bob: [dev]}\n"
    eng = engine(tmp_path, text)
    alice = Principal(id="alice", name="Alice", groups=frozenset({"chat-admins"}))
    assert eng.groups_of(alice) == frozenset({"sre", "chat-admins"})
    effective = eng.effective_principal(alice)
    assert effective.groups == frozenset({"sre", "chat-admins"})
    assert (effective.id, effective.name) == ("alice", "Alice")
    stranger = who("zed", "x")
    assert eng.effective_principal(stranger) == stranger
    # a voter known only through static groups counts toward an sre requirement
    req = decide(eng, who("bob"), scale()).requirements[0]
    assert not req.admits(who("alice"), who("bob"))
    assert req.admits(eng.effective_principal(who("alice")), who("bob"))


def test_grants_by_static_group(tmp_path: Path) -> None:
    text = """
groups: {bob: [dev]}
grants:
  - {groups: [dev], actions: [read]}
"""
    eng = engine(tmp_path, text)
    assert decide(eng, who("bob"), {"operation": "list_pods"}).outcome == Outcome.ALLOW
    assert decide(eng, who("eve"), {"operation": "list_pods"}).outcome == Outcome.DENY


def test_glob_scopes_and_exceptions(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: [read], namespaces: ["team-*", "qa?"], except_namespaces: [team-secret]}
"""
    eng = engine(tmp_path, text)

    def outcome(namespace: str) -> Outcome:
        return decide(eng, who("a"), {"operation": "list_pods", "namespace": namespace}).outcome

    assert outcome("team-a") == Outcome.ALLOW
    assert outcome("qa1") == Outcome.ALLOW
    assert outcome("qa12") == Outcome.DENY
    assert outcome("team-secret") == Outcome.DENY
    assert outcome("prod") == Outcome.DENY
    assert outcome("xteam-a") == Outcome.DENY


def test_all_namespaces_needs_an_unrestricted_grant_and_trips_denies(tmp_path: Path) -> None:
    text = """
grants:
  - {name: some, users: [a], actions: [read], namespaces: ["team-*"]}
  - {name: most, users: [b], actions: [read], except_namespaces: [kube-system]}
  - {name: all, users: [c, d], actions: [read]}
denies:
  - {actions: [list_events], namespaces: [kube-system], exempt_users: [c], reason: noisy}
"""
    eng = engine(tmp_path, text)
    every = {"operation": "list_events", "all_namespaces": True}
    assert decide(eng, who("a"), every).reasons == [
        "denied by 'policy.yaml:denies[0]': noisy",
        "no grant lets a run list_events in all namespaces",
    ]
    in_team = {"operation": "list_events", "namespace": "team-x"}
    assert decide(eng, who("a"), in_team).outcome == Outcome.ALLOW
    assert decide(eng, who("b"), every).outcome == Outcome.DENY
    assert decide(eng, who("c"), every).outcome == Outcome.ALLOW
    assert decide(eng, who("d"), every).reasons == ["denied by 'policy.yaml:denies[0]': noisy"]


def test_contexts_and_default_context(tmp_path: Path) -> None:
    text = """
default_context: staging-cluster
grants:
  - {users: ["*"], actions: [read], contexts: ["staging-*"]}
"""
    eng = engine(tmp_path, text)
    assert decide(eng, who("a"), {"operation": "list_pods"}).outcome == Outcome.ALLOW
    other = {"operation": "list_pods", "context": "prod-cluster"}
    assert decide(eng, who("a"), other).reasons == [
        "no grant lets a run list_pods in namespace default, context prod-cluster"
    ]


def test_docker_hosts_scope_and_namespace_rules_do_not_touch_docker(tmp_path: Path) -> None:
    text = """
grants:
  - {name: edge, users: ["*"], actions: [read, restart_container], hosts: ["edge-*"]}
  - {name: ns, users: ["*"], actions: [read], namespaces: [team-a]}
denies:
  - {actions: ["*"], namespaces: [kube-system], reason: k8s only}
approvals:
  - {actions: [write], hosts: ["edge-*"], approver_groups: [ops]}
"""
    eng = engine(tmp_path, text)
    edge = {"operation": "restart_container", "host": "edge-1", "container": "web"}
    assert decide(eng, who("a"), edge).requirements[0].approver_groups == frozenset({"ops"})
    default_host = {"operation": "list_containers"}
    denied = decide(eng, who("a"), default_host)
    assert denied.reasons == ["no grant lets a run list_containers in docker host default"]
    k8s = decide(eng, who("a"), {"operation": "list_pods", "namespace": "team-a"})
    assert k8s.outcome == Outcome.ALLOW  # 'edge' has hosts: a Kubernetes step never matches it


def test_multi_step_plans_combine_and_dedupe_requirements(tmp_path: Path) -> None:
    prod_rule = (
        "  - {name: prod, actions: [write], namespaces: [prod], count: 2,"
        " approver_groups: [sre], expires_after: 10m}\n"
    )
    eng = engine(tmp_path, BASE.replace("approvals:\n", "approvals:\n" + prod_rule))
    both = decide(eng, who("a"), scale("staging"), scale("staging", 4), scale("prod"))
    assert both.outcome == Outcome.NEEDS_APPROVAL
    assert [r.rule for r in both.requirements] == ["one-sre", "prod"]
    assert both.ttl_seconds == 600
    assert [s.outcome for s in both.steps] == [Outcome.NEEDS_APPROVAL] * 3


def test_any_denied_step_denies_the_plan_with_step_numbers(tmp_path: Path) -> None:
    text = """
grants:
  - {users: ["*"], actions: [read]}
"""
    eng = engine(tmp_path, text)
    denied = decide(eng, who("a"), {"operation": "list_pods"}, scale("x"), scale("y"))
    assert denied.outcome == Outcome.DENY
    assert denied.reasons == [
        "step 2: no grant lets a run scale_deployment in namespace x",
        "step 3: no grant lets a run scale_deployment in namespace y",
    ]
    assert [s.outcome for s in denied.steps] == [Outcome.ALLOW, Outcome.DENY, Outcome.DENY]


def test_freeze_denies_with_window_end_and_honours_exemptions(tmp_path: Path) -> None:
    text = (
        BASE
        + """
freezes:
  - name: weekend
    actions: [write]
    namespaces: [prod]
    timezone: Europe/Berlin
    weekly: [{start: "Fri 16:00", end: "Mon 08:00"}]
    exempt_groups: [ic]
    reason: weekend
"""
    )
    eng = engine(tmp_path, text)
    friday = datetime.fromisoformat("2026-11-20T18:00:00+01:00")
    denied = decide(eng, who("a"), scale("prod"), now=friday)
    assert denied.reasons == [
        "change freeze 'weekend' is active until Mon 2026-11-23 08:00 CET (Europe/Berlin): weekend"
    ]
    assert decide(eng, who("a", "ic"), scale("prod"), now=friday).outcome == Outcome.NEEDS_APPROVAL
    assert decide(eng, who("a"), scale("dev"), now=friday).outcome == Outcome.NEEDS_APPROVAL
    naive = datetime(2026, 11, 20, 17, 0)  # naive means UTC: 18:00 in Berlin, frozen
    assert decide(eng, who("a"), scale("prod"), now=naive).outcome == Outcome.DENY


class _Unlisted(Operation):
    """A well-formed operation that the catalog does not know (e.g. from a newer bot)."""

    kind: ClassVar[str] = "format_disk"
    backend: ClassVar[BackendKind] = BackendKind.HOST
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "disks"
    summary: ClassVar[str] = "not in the catalog"

    operation: Literal["format_disk"] = "format_disk"


def test_unknown_action_in_a_plan_is_denied(tmp_path: Path) -> None:
    eng = engine(tmp_path, BASE)
    plan = Plan.model_construct(steps=[_Unlisted()])
    decision = eng.evaluate(plan, who("a"), now=datetime.now().astimezone())
    assert decision.outcome == Outcome.DENY
    assert decision.reasons == ["unknown action 'format_disk': not in the catalog"]


def test_malformed_plan_is_denied_not_raised(tmp_path: Path) -> None:
    eng = engine(tmp_path, BASE)
    broken = Plan.model_construct(steps=[None])
    decision = eng.evaluate(broken, who("a"), now=datetime.now().astimezone())
    assert decision.outcome == Outcome.DENY
    assert decision.reasons[0].startswith("unknown action None")
    empty_principal = Principal.model_construct(id="a", groups=None)
    failed = eng.evaluate(
        Plan.model_validate({"steps": [scale()]}), empty_principal, now=datetime.now()
    )
    assert failed.outcome == Outcome.DENY
    assert failed.reasons[0].startswith("policy evaluation failed (TypeError")


def test_broken_policy_denies_everything_with_the_error(tmp_path: Path) -> None:
    path = write(tmp_path, "grants:\n  - {users: ['*'], actions: [raed]}\n")
    eng = load_engine_or_deny(path)
    assert not eng.ok
    decision = decide(eng, who("a"), {"operation": "list_pods"})
    assert decision.outcome == Outcome.DENY
    (reason,) = decision.reasons
    assert reason.startswith(f"policy unavailable, denying everything: policy {path} is invalid")
    assert "unknown action 'raed' (did you mean 'read'?)" in reason
    assert eng.groups_of(who("a", "x")) == frozenset({"x"})


def test_missing_policy_denies_everything(tmp_path: Path) -> None:
    eng = load_engine_or_deny(tmp_path / "missing")
    decision = decide(eng, who("a"), {"operation": "list_pods"})
    assert decision.outcome == Outcome.DENY
    assert "no such file or folder" in decision.reasons[0]


def test_loaded_default_engine_is_ok() -> None:
    from tests.policy.support import POLICIES

    eng = load_engine_or_deny(POLICIES)
    assert eng.ok
    # the shipped file's rules are in force: its static groups and its kube-system deny
    assert "sre" in eng.groups_of(Principal(id="alice"))
    assert decide(eng, who("alice"), scale("kube-system", 2)).outcome == Outcome.DENY
