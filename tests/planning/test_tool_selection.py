"""The model is offered the tools its request needs, can ask for the rest, and cannot use a tool
it was not offered (issue 12, "The model sees what it needs")."""

from __future__ import annotations

import json

import pytest

from bot.catalog import OPERATIONS
from bot.planning.base import Abstain, Proposed
from bot.planning.static_inventory import StaticInventory
from bot.planning.tools import all_tools, offered_tools
from bot.planning.toolselect import DEFAULT_FAMILIES, families, family_of, select_families
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("restart the redis statefulset in prod", ("statefulsets",)),
        ("rollout restart sts/redis -n prod", ("statefulsets",)),
        ("drain node-3", ("nodes",)),  # "drain" is also a delete synonym: the named type wins
        ("cordon node-3", ("nodes",)),
        ("get svc -n prod", ("services",)),
        ("get hpa", ("hpas",)),
        ("trigger cronjob/nightly-backup now", ("cronjobs",)),
        ("rollout status deploy/web", ("deployments",)),
        ("get configmap app-config", ("configmaps",)),
        ("get pvc in prod", ("persistentvolumeclaims",)),
        ("list namespaces", ("namespaces",)),
        ("docker stats", ("containers",)),
        ("show pods in prod", ("pods",)),
        ("show events for checkout in prod", ("events",)),
        ("history of the fluentd daemonset in logging", ("daemonsets",)),
        ("give me a health report", ("health",)),
    ],
)
def test_a_named_resource_type_selects_its_family(text: str, expected: tuple[str, ...]) -> None:
    assert select_families(text) == expected


@pytest.mark.parametrize(
    ("text", "must", "must_not"),
    [
        # a verb without a type: every family that has the verb, and nothing else
        ("bounce api", {"deployments", "statefulsets", "daemonsets", "containers"}, {"nodes"}),
        ("scale web to 5", {"deployments", "statefulsets"}, {"containers", "pods"}),
        ("roll back web in prod", {"deployments", "statefulsets", "daemonsets"}, {"pods"}),
        # two clauses, two families
        ("cordon node-3 and restart web", {"nodes", "deployments"}, {"pods"}),
        # a diagnosis: the lookups of pods and events, and the workload
        ("why is api crashing in staging", {"pods", "events", "deployments"}, {"nodes"}),
        # a summary word specific to its family ("processes": docker top)
        ("what processes run in nginx-edge", {"containers"}, {"nodes", "pods"}),
        # nothing typed: the common families and the generic `get KIND`
        ("get certificates.cert-manager.io -n prod", set(DEFAULT_FAMILIES), {"nodes"}),
        ("show me api in staging and its warnings", {"events", "deployments"}, {"nodes"}),
        # a short type word is never a stem: "sad" does not name service accounts ("sa")
        ("why is web-1 sad?", {"containers", "deployments", "pods"}, {"nodes"}),
    ],
)
def test_verbs_diagnoses_and_untyped_requests(
    text: str, must: set[str], must_not: set[str]
) -> None:
    chosen = set(select_families(text))
    assert must <= chosen and not (must_not & chosen), chosen


def test_every_operation_has_a_family_and_the_union_is_the_whole_catalog() -> None:
    kinds = [kind for group in families().values() for kind in group]
    assert sorted(kinds) == sorted(OPERATIONS)
    assert family_of("trigger_cronjob") == "cronjobs"  # the command's resource, not "jobs"
    assert family_of("set_hpa_replicas") == "hpas"  # catalog resource via the parser vocabulary
    names = {t["function"]["name"] for t in offered_tools(None, with_lookups=True, with_more=True)}
    assert "more_tools" not in names  # nothing more to offer than everything
    assert names == {t["function"]["name"] for t in all_tools(with_lookups=True)}


def test_subsets_are_stable_and_ordered_for_prefix_caching() -> None:
    full = json.dumps(offered_tools(None, with_lookups=False, with_more=False))
    for family in families():
        subset = offered_tools((family,), with_lookups=True, with_more=True)
        names = [t["function"]["name"] for t in subset]
        assert names[:3] == ["answer", "ask_clarification", "abstain"]  # shared by every list
        assert names[-1] == "more_tools"  # last: a turn without it keeps the prefix
        assert subset == offered_tools((family,), with_lookups=True, with_more=True)
    # a later turn without lookups and more_tools sends a prefix of the first turn's list
    first = json.dumps(offered_tools(("nodes",), with_lookups=True, with_more=True))
    final = json.dumps(offered_tools(("nodes",), with_lookups=False, with_more=False))
    assert first.startswith(final[:-1])
    assert len(final) < len(full) / 5


def _names(body: dict[str, object]) -> set[str]:
    tools = body["tools"]
    assert isinstance(tools, list)
    return {t["function"]["name"] for t in tools}


def test_the_request_is_offered_its_family_and_the_system_prompt_does_not_change(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    restart = call("restart_statefulset", name="redis", namespace="prod", context=None)
    openai_fake.script(calls(restart), calls(restart), calls(call("list_pods", namespace="prod")))
    planner = make_planner()
    inventory = StaticInventory(
        deployments={"prod": ["web"]}, objects={"statefulsets": {"prod": ["redis"]}}
    )
    first = ask(planner, "restart the redis statefulset in prod", inventory)
    ask(planner, "please restart the redis statefulset in prod", inventory)
    ask(planner, "show pods in prod", inventory)

    assert isinstance(first, Proposed) and first.plan.steps[0].kind == "restart_statefulset"
    one, two, three = openai_fake.requests
    offered = _names(one)
    assert {"restart_statefulset", "scale_statefulset", "answer", "more_tools"} <= offered
    assert not offered & {"restart_deployment", "cordon_node", "list_pods"}
    assert one["tools"] == two["tools"]  # same family set, identical list: the cache hits
    assert "list_pods" in _names(three) and "restart_statefulset" not in _names(three)
    system = [r["messages"][0] for r in (one, two, three)]  # type: ignore[index]
    assert system[0] == system[1] == system[2]


def test_more_tools_widens_the_next_turn_to_every_tool(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("more_tools", need="list the tenants")),
        calls(call("list_namespaces", context=None, namespace=None)),
    )
    outcome = ask(make_planner(), "which tenants do we have", seeded_inventory)

    assert isinstance(outcome, Proposed), outcome
    assert [s.kind for s in outcome.plan.steps] == ["list_namespaces"]
    first, second = openai_fake.requests
    assert "list_namespaces" not in _names(first) and "more_tools" in _names(first)
    assert _names(second) >= set(OPERATIONS) and "more_tools" not in _names(second)
    answered = second["messages"][-1]
    assert answered["role"] == "tool" and "every tool is now available" in answered["content"]
    assert second["messages"][0] == first["messages"][0]


def test_a_tool_that_was_not_offered_is_rejected_never_planned(
    make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    fake = FakeOpenAI(quirks=frozenset({"invented_tools"})).start()  # a weak model's guess
    try:
        cordon = calls(call("cordon_node", name="node-3", context=None))
        fake.script(cordon, cordon)
        planner = make_planner(openai_base_url=fake.base_url)
        outcome = ask(planner, "show pods in prod", seeded_inventory)
    finally:
        fake.close()

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, Abstain), outcome
    assert "cordon_node' was not offered in this turn" in outcome.reason
    repair = fake.requests[1]["messages"][-1]
    assert repair["role"] == "tool"
    assert "was not offered in this turn; call more_tools to get every tool" in repair["content"]


def test_more_tools_counts_against_the_step_limit(
    make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    fake = FakeOpenAI(quirks=frozenset({"invented_tools"})).start()
    try:
        more = calls(call("more_tools", need="everything"))
        fake.script(more, more, more)
        planner = make_planner(openai_base_url=fake.base_url, llm_max_steps=2)
        outcome = ask(planner, "which tenants do we have", seeded_inventory)
        single = make_planner(openai_base_url=fake.base_url, llm_max_steps=1)
        fake.script(calls(call("abstain", reason="no tool fits")))
        ask(single, "which tenants do we have", seeded_inventory)
    finally:
        fake.close()

    assert not isinstance(
        outcome, Proposed
    )  # the second call is the last: no third widening, no loop
    assert "more_tools" in _names(fake.requests[0])
    assert "more_tools" not in _names(fake.requests[1])
    assert "more_tools" not in _names(fake.requests[-1])  # one step: nothing to widen into
    assert len(fake.requests) == 4  # 2 calls + 1 repair for the limited planner, 1 for single


def test_a_lookup_that_was_not_offered_does_not_run(
    make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    ran: list[str] = []

    def lookup(op: object) -> str:
        ran.append(type(op).__name__)
        return "data"

    fake = FakeOpenAI(quirks=frozenset({"invented_tools"})).start()
    try:
        fake.script(
            calls(call("lookup_list_nodes", context=None, label_selector=None)),
            calls(call("abstain", reason="nothing found")),
        )
        planner = make_planner(openai_base_url=fake.base_url)
        ask(planner, "why is api crashing in staging", seeded_inventory, lookup=lookup)
    finally:
        fake.close()

    assert ran == []
    assert "lookup_list_pods" in _names(fake.requests[0])
    answer = fake.requests[1]["messages"][-1]["content"]
    assert answer.startswith("not run: tool 'lookup_list_nodes' was not offered in this turn")
