"""Bad tool arguments from the model: one repair attempt, then a clear abstention, never raise."""

from __future__ import annotations

from bot.planning.base import Abstain, Proposed
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, ToolCall, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask, expect

SCALE_NULLS = {"context": None}


def test_out_of_bounds_argument_is_repaired_once(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("scale_deployment", name="web", namespace="prod", replicas=5000, **SCALE_NULLS)),
        calls(call("scale_deployment", name="web", namespace="prod", replicas=50, **SCALE_NULLS)),
    )
    outcome = ask(make_planner(), "scale web to 50 in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert outcome.plan.steps[0].replicas == 50  # type: ignore[union-attr]
    repair = openai_fake.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["tool_calls"]
    assert repair[-1]["role"] == "tool"
    assert "replicas" in repair[-1]["content"] and "1000" in repair[-1]["content"]


def test_invalid_twice_is_a_clear_abstention(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    bad = calls(call("scale_deployment", name="web", namespace="prod", replicas=-3, **SCALE_NULLS))
    openai_fake.script(bad, bad)
    outcome = ask(make_planner(), "scale web to -3 in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, Abstain), outcome
    assert "not valid even after one correction" in outcome.reason
    assert "replicas" in outcome.reason
    assert "help" in outcome.reason  # points to explicit commands
    assert len(openai_fake.requests) == 2


def test_malformed_json_and_unknown_fields_are_repaired(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(
            ToolCall("restart_deployment", '{"name": "web", "namespace": "prod"'),
            call("describe_deployment", name="web", namespace="prod", command="kubectl rm -rf"),
        ),
        calls(
            call("restart_deployment", name="web", namespace="prod", context=None),
        ),
    )
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert [s.kind for s in outcome.plan.steps] == ["restart_deployment"]
    tool_replies = [m for m in openai_fake.requests[1]["messages"] if m["role"] == "tool"]
    assert len(tool_replies) == 2  # every call of the bad turn was answered
    assert any("command" in m["content"] for m in tool_replies)


def test_missing_required_name_is_not_guessed(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    no_name = calls(call("delete_pod", namespace="prod", name=None, grace_period_seconds=None))
    openai_fake.script(no_name, no_name)
    outcome = ask(make_planner(), "delete the broken pod in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert "name" in expect(Abstain, outcome).reason
