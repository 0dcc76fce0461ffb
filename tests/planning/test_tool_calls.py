"""Tool calls from the model become typed plans; the request the model sees is well formed."""

from __future__ import annotations

from bot.catalog import OPERATIONS, Risk
from bot.config import Settings
from bot.planning.base import Proposed
from bot.planning.llm import OpenAIPlanner
from bot.planning.static_inventory import StaticInventory
from bot.planning.tools import all_tools
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask


def test_scale_tool_call_becomes_an_llm_plan(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("scale_deployment", name="web", namespace="prod", replicas=5, context=None))
    )
    outcome = ask(make_planner(), "web is slow in prod, scale it to 5", seeded_inventory)

    assert isinstance(outcome, Proposed), outcome
    assert outcome.plan.source == "llm"
    [step] = outcome.plan.steps
    assert (step.kind, step.namespace, step.name, step.replicas) == (  # type: ignore[union-attr]
        "scale_deployment",
        "prod",
        "web",
        5,
    )
    assert outcome.plan.risk == Risk.WRITE  # still a write: policy and approval apply downstream
    body = openai_fake.requests[0]
    assert body["temperature"] == 0
    assert body["tool_choice"] == "required"
    assert body["model"] == "gpt-4o-mini"
    offered = {t["function"]["name"] for t in body["tools"]}
    assert "scale_deployment" in offered and "cordon_node" not in offered  # the named families
    assert {"abstain", "ask_clarification", "answer", "more_tools"} <= offered
    assert {t["function"]["name"] for t in all_tools(with_lookups=False)} >= set(OPERATIONS)
    user = body["messages"][1]
    assert user["role"] == "user"
    assert user["content"].endswith("The request:\nweb is slow in prod, scale it to 5")


def test_usage_tokens_cost_and_latency_are_recorded(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(
            call(
                "list_pods",
                namespace="prod",
                all_namespaces=None,
                label_selector=None,
                context=None,
            )
        )
    )
    outcome = ask(make_planner(), "what runs in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    usage = outcome.usage
    assert usage.model == "gpt-4o-mini"
    assert usage.prompt_tokens > 1000 and usage.completion_tokens > 0
    expected = (usage.prompt_tokens * 0.15 + usage.completion_tokens * 0.60) / 1_000_000
    assert abs(usage.cost_usd - expected) < 1e-7
    assert usage.latency_ms > 0


def test_several_calls_in_one_turn_are_ordered_plan_steps(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(
            call("describe_deployment", name="api", namespace="staging", context=None),
            call(
                "list_events",
                namespace="staging",
                object_name="api",
                warnings_only=True,
                all_namespaces=None,
                limit=None,
                context=None,
            ),
        )
    )
    outcome = ask(make_planner(), "show me api in staging and its warnings", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert [s.kind for s in outcome.plan.steps] == ["describe_deployment", "list_events"]
    assert outcome.plan.is_read_only


def test_every_tool_schema_is_strict() -> None:
    for tool in all_tools(with_lookups=True):
        fn = tool["function"]
        params = fn["parameters"]
        assert fn["strict"] is True
        assert params["additionalProperties"] is False
        assert sorted(params["required"]) == sorted(params["properties"]), fn["name"]
        assert "default" not in str(params.get("properties")) or all(
            "default" not in p for p in params["properties"].values()
        )
    scale = next(
        t for t in all_tools(with_lookups=False) if t["function"]["name"] == "scale_deployment"
    )
    props = scale["function"]["parameters"]["properties"]
    assert props["replicas"]["type"] == "integer"  # required stays non-null
    assert props["namespace"]["type"] == ["string", "null"]  # optional becomes nullable


def test_no_api_key_means_no_planner() -> None:
    assert OpenAIPlanner.from_settings(Settings(openai_api_key=None)) is None
