"""The model may abstain or ask; replies that are not tool calls never become plans."""

from __future__ import annotations

from bot.planning.base import Abstain, Clarify, PlannerFailed, Proposed
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, Text, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask, expect


def test_abstain_tool(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(calls(call("abstain", reason="Draining nodes is not something I can do.")))
    outcome = ask(make_planner(), "drain node worker-1", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert (
        expect(Abstain, outcome).reason
        == "The model declined: Draining nodes is not something I can do."
    )
    assert not isinstance(outcome, PlannerFailed)


def test_clarification_tool(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(calls(call("ask_clarification", question="api in prod or in staging?")))
    outcome = ask(make_planner(), "restart api", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert expect(Clarify, outcome).question == "api in prod or in staging?"


def test_abstain_wins_over_steps_in_the_same_turn(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(
            call("restart_deployment", name="web", namespace="prod", context=None),
            call("abstain", reason="not sure"),
        )
    )
    outcome = ask(make_planner(), "restart web in prod maybe", seeded_inventory)

    assert (
        not isinstance(outcome, Proposed)
        and expect(Abstain, outcome).reason == "The model declined: not sure"
    )


def test_plain_text_reply_is_never_a_plan(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(Text("kubectl delete deployment web -n prod"), Text("Which namespace?"))
    planner = make_planner()
    first = ask(planner, "get rid of web", seeded_inventory)
    second = ask(planner, "restart api", seeded_inventory)

    assert not isinstance(first, Proposed)
    assert "did not choose an action" in expect(Abstain, first).reason
    assert not isinstance(second, Proposed)
    assert expect(Clarify, second).question == "The model said (unchecked): Which namespace?"


def test_too_many_steps_is_refused(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    one = call(
        "list_pods", namespace="prod", all_namespaces=None, label_selector=None, context=None
    )
    openai_fake.script(calls(*[one] * 11))
    outcome = ask(make_planner(), "list pods in prod eleven times", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert "at most 10" in expect(Abstain, outcome).reason
