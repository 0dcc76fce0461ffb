"""Property: for any plan, principal, time and policy the engine never raises and never ALLOWs
a write or destructive step (invariant 1: nothing writes without passing approval)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import OPERATIONS, Risk, parse_operation
from bot.models import Principal
from bot.plan import Plan
from bot.policy import Outcome, PolicyEngine, load_policy, parse_policy
from tests.policy.support import POLICIES

NAMESPACES = ["prod", "prod-eu", "staging", "kube-system", "team-a", "default", "vault"]
CONTEXTS = [None, "prod-cluster", "staging-cluster", "default"]
HOSTS = ["default", "edge-1", "build"]
USERS = ["alice", "bob", "carol", "dave", "eve", "mallory"]
GROUPS = ["sre", "dev", "incident-commander", "intern", "*"]
ACTIONS = [*OPERATIONS, *(r.value for r in Risk), "*"]
GLOBS = ["*", "prod", "prod-*", "team-?", "kube-system", "staging*"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "namespace": st.sampled_from(NAMESPACES),
    "context": st.sampled_from(CONTEXTS),
    "host": st.sampled_from(HOSTS),
    "name": st.sampled_from(["web", "api-7f9c", "db"]),
    "container": st.sampled_from(["web-1", "db"]),
    "resource_type": st.sampled_from(["sts", "certificates.cert-manager.io", "nodes"]),
    "replicas": st.integers(0, 1000),
    "tail_lines": st.integers(1, 5000),
    "since_seconds": st.none() | st.integers(1, 7 * 86400),
    "all_namespaces": st.booleans(),
    "grace_period_seconds": st.none() | st.integers(0, 3600),
    "to_revision": st.none() | st.integers(1, 50),
}


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(OPERATIONS)))
    fields = OPERATIONS[kind].model_fields
    data: dict[str, Any] = {"operation": kind}
    for field, info in fields.items():
        if field in VALUES and (info.is_required() or draw(st.booleans())):
            data[field] = draw(VALUES[field])
    return data


plans = st.lists(steps(), min_size=1, max_size=4).map(
    lambda items: Plan(steps=[parse_operation(i) for i in items])
)
principals = st.builds(
    lambda user, groups: Principal(id=user, groups=frozenset(groups)),
    st.sampled_from(USERS),
    st.lists(st.sampled_from(GROUPS), max_size=3),
)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2032, 1, 1),
    timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]) | st.just(UTC),
)
scopes = st.fixed_dictionaries(
    {},
    optional={
        "namespaces": st.lists(st.sampled_from(GLOBS), min_size=1, max_size=2),
        "except_namespaces": st.lists(st.sampled_from(GLOBS), max_size=2),
        "contexts": st.lists(st.sampled_from(["*", "prod-*", "default"]), min_size=1),
        "hosts": st.lists(st.sampled_from(["*", "edge-*", "default"]), min_size=1),
    },
)


def _rule(extra: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda actions, scope, who: {"actions": actions, **scope, **who, **extra},
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3),
        scopes,
        st.fixed_dictionaries(
            {}, optional={"groups": st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2)}
        ),
    )


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
week_points = st.builds(
    lambda day, hour, minute: f"{day} {hour:02d}:{minute:02d}",
    st.sampled_from(DAYS),
    st.integers(0, 23),
    st.sampled_from([0, 30, 59]),
)
freezes = st.builds(
    lambda rule, zone, start, end: {
        **rule,
        "timezone": zone,
        "weekly": [{"start": start, "end": end}],
        "exempt_groups": ["incident-commander"],
        "reason": "random freeze",
    },
    _rule({}),
    st.sampled_from(ZONES),
    week_points,
    week_points,
).filter(lambda f: f["weekly"][0]["start"] != f["weekly"][0]["end"])
random_policies = st.builds(
    lambda grants, approvals, limits, freezes, denies: {
        "grants": grants,
        "approvals": approvals,
        "limits": limits,
        "freezes": freezes,
        "denies": denies,
    },
    st.lists(_rule({"users": ["*"]}) | _rule({"users": ["alice"], "groups": ["dev"]}), max_size=4),
    st.lists(
        _rule({"approver_groups": ["sre"], "allow_self_approval": True, "count": 1}),
        max_size=3,
    ),
    st.lists(
        st.builds(
            lambda scope, bound: {
                "actions": ["scale_deployment"],
                **scope,
                "max": {"replicas": bound},
            },
            scopes,
            st.integers(0, 50),
        ),
        max_size=2,
    ),
    st.lists(freezes, max_size=2),
    st.lists(_rule({"reason": "random deny"}), max_size=2),
)

ENGINES = [
    PolicyEngine(load_policy(POLICIES)),
    PolicyEngine(
        parse_policy(
            {
                "grants": [{"users": ["*"], "actions": ["*"]}],
                "approvals": [
                    {"actions": ["*"], "approver_groups": ["*"], "allow_self_approval": True}
                ],
            }
        )
    ),
    PolicyEngine(parse_policy({"grants": [{"users": ["*"], "actions": ["*"]}]})),
    PolicyEngine.broken("test: broken on purpose"),
]


def check(engine: PolicyEngine, plan: Plan, who: Principal, now: datetime) -> None:
    decision = engine.evaluate(plan, who, now=now)
    assert decision.outcome in set(Outcome)
    # the catch-all is a safety net, not a code path: no example may reach it
    assert not any(r.startswith("policy evaluation failed") for r in decision.reasons), decision
    if decision.outcome == Outcome.DENY:
        assert decision.reasons, "a deny always says why"
    if not plan.is_read_only:
        assert decision.outcome != Outcome.ALLOW, (plan.describe(), decision)
    if decision.outcome == Outcome.NEEDS_APPROVAL:
        assert decision.requirements
        for step, verdict in zip(plan.steps, decision.steps, strict=True):
            if step.risk != Risk.READ:
                assert verdict.requirements
                assert set(verdict.requirements) <= set(decision.requirements)


@settings(max_examples=200, deadline=None)
@given(plan=plans, who=principals, now=moments, index=st.integers(0, len(ENGINES) - 1))
def test_fixed_policies_never_raise_and_never_allow_writes(
    plan: Plan, who: Principal, now: datetime, index: int
) -> None:
    check(ENGINES[index], plan, who, now)


@settings(max_examples=100, deadline=None)
@given(data=random_policies, plan=plans, who=principals, now=moments)
def test_random_policies_never_raise_and_never_allow_writes(
    data: dict[str, Any], plan: Plan, who: Principal, now: datetime
) -> None:
    check(PolicyEngine(parse_policy(data)), plan, who, now)
