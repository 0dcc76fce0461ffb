"""The planner against the documented differences of OpenAI-compatible servers (fake replay).

llama.cpp behaviour was measured against the real server (test_llama_real.py); vLLM, Ollama
and LiteLLM differences are replayed by tests/fakes/openai_api.py (SERVER_QUIRKS).
"""

from __future__ import annotations

import pytest

from bot.planning.base import Abstain, Answer, PlannerFailed, Proposed
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import (
    SERVER_QUIRKS,
    FakeOpenAI,
    HttpError,
    Text,
    ToolCall,
    call,
    calls,
)
from tests.fixtures.openai_fake import PlannerFactory, ask, expect

RESTART = calls(call("restart_deployment", name="web", namespace="prod", context=None))


@pytest.mark.parametrize("server", sorted(SERVER_QUIRKS))
def test_each_server_kind_plans_and_remembers_its_tool_choice(
    server: str,
    openai_fake: FakeOpenAI,
    make_planner: PlannerFactory,
    seeded_inventory: StaticInventory,
) -> None:
    openai_fake.quirks = SERVER_QUIRKS[server]
    openai_fake.script(RESTART, RESTART)
    planner = make_planner()
    first = ask(planner, "restart web in prod", seeded_inventory)
    second = ask(planner, "restart web in prod", seeded_inventory)

    assert isinstance(first, Proposed) and isinstance(second, Proposed), (first, second)
    choices = [r["tool_choice"] for r in openai_fake.requests]
    refuses = {"required_500", "required_400_toplevel"} & SERVER_QUIRKS[server]
    assert choices == (["required", "auto", "auto"] if refuses else ["required", "required"])
    assert all(r["max_tokens"] == 512 for r in openai_fake.requests)
    if refuses:  # under "auto" the schemas bound every string (the server's grammar obeys)
        reason = next(
            t for t in openai_fake.requests[-1]["tools"] if t["function"]["name"] == "abstain"
        )
        assert reason["function"]["parameters"]["properties"]["reason"]["maxLength"] == 300


def test_replayed_tool_call_turns_have_empty_string_content(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["llama.cpp"]
    openai_fake.script(
        calls(call("lookup_describe_deployment", name="web", namespace="prod", context=None)),
        calls(call("answer", text="Looks fine [E1]", evidence=["E1"])),
    )
    outcome = ask(
        make_planner(), "why is web slow in prod", seeded_inventory, lookup=lambda op: "ok"
    )

    assert isinstance(outcome, Answer), outcome
    replayed = [m for m in openai_fake.requests[-1]["messages"] if m.get("tool_calls")]
    assert replayed and all(m["content"] == "" for m in replayed)


def test_object_arguments_and_missing_usage_are_parsed(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["ollama"]
    openai_fake.script(RESTART)
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed), outcome
    assert (outcome.usage.prompt_tokens, outcome.usage.completion_tokens) == (0, 0)


def test_null_token_counts_are_zero_not_a_crash(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["litellm"]
    openai_fake.script(RESTART)
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert outcome.usage.prompt_tokens == 0


def test_empty_choices_is_an_error_with_text(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = frozenset({"empty_choices"})
    openai_fake.script(RESTART)
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert "empty response" in expect(PlannerFailed, outcome).error


def test_tool_calls_without_ids_still_plan(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = frozenset({"no_call_ids"})
    openai_fake.script(RESTART)
    assert ask(make_planner(), "restart web in prod", seeded_inventory).plan is not None


def test_an_invented_tool_is_repaired_once_then_refused(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = frozenset({"invented_tools"})
    openai_fake.script(calls(call("kubectl_exec", cmd="rm -rf /")), calls(call("kubectl_exec")))
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Abstain), outcome  # no plan, and not an endpoint failure
    assert "unknown tool 'kubectl_exec'" in outcome.reason
    assert len(openai_fake.requests) == 2


def test_free_text_is_labelled_redacted_and_stripped_of_prompt_fragments(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["llama.cpp"]
    echo = (
        "Rules:\n"
        "1. Propose plan steps only with the step tools (named after catalog operations).\n"
        '<untrusted-data source="inventory">web is broken, token=abc123supersecretvalue'
        "</untrusted-data>"
    )
    openai_fake.script(Text(echo), Text(echo))
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    reason = expect(Abstain, outcome).reason  # no plan, and not an endpoint failure
    assert "The model said (unchecked): " in reason and "web is broken" in reason
    assert "Propose plan steps" not in reason and "untrusted-data" not in reason
    assert "abc123supersecretvalue" not in reason
    # under "auto" the model was asked once more to call a tool before giving up
    assert openai_fake.requests[-1]["messages"][-1]["role"] == "user"


@pytest.mark.parametrize("status", [400, 401, 404, 422, 500])
def test_errors_that_cannot_succeed_on_retry_are_not_retried(
    status: int,
    openai_fake: FakeOpenAI,
    make_planner: PlannerFactory,
    seeded_inventory: StaticInventory,
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["llama.cpp"]  # "auto" from the start after the 500
    openai_fake.script(RESTART)  # the first request's 500 is the tool_choice refusal
    ask(make_planner(), "restart web in prod", seeded_inventory)
    openai_fake.script(HttpError(status, "no way"), RESTART)
    outcome = ask(make_planner(max_retries=2), "restart web in prod", seeded_inventory)

    assert f"HTTP {status}: no way" in expect(PlannerFailed, outcome).error
    assert openai_fake.pending == 1  # the second reply was never asked for


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_errors_that_can_succeed_are_retried(
    status: int,
    openai_fake: FakeOpenAI,
    make_planner: PlannerFactory,
    seeded_inventory: StaticInventory,
) -> None:
    openai_fake.script(HttpError(status, "busy", retry_after_ms=5), RESTART)
    outcome = ask(make_planner(max_retries=1), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert openai_fake.served == 2


def test_the_servers_error_text_is_shown_redacted(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    secret = "sk-abcdefghijklmnopqrstuvwxyz0123456789"
    openai_fake.script(
        HttpError(400, f"context_length_exceeded: 9000 tokens > 6144 (key {secret})")
    )
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, PlannerFailed), outcome
    assert "HTTP 400: context_length_exceeded: 9000 tokens > 6144" in outcome.error
    assert secret not in outcome.error and secret not in outcome.message


def test_vllm_top_level_error_message_is_read(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.quirks = SERVER_QUIRKS["vllm"]
    openai_fake.responder = lambda body: HttpError(503, "engine dead")
    outcome = ask(make_planner(max_retries=0), "restart web in prod", seeded_inventory)

    assert (
        expect(PlannerFailed, outcome).error
        == "The language model endpoint returned HTTP 503: engine dead"
    )
    assert [r["tool_choice"] for r in openai_fake.requests] == ["required", "auto"]


def test_an_unreachable_endpoint_is_retried_then_reported(
    make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    planner = make_planner(openai_base_url="http://127.0.0.1:9/v1", max_retries=1)
    outcome = ask(planner, "restart web in prod", seeded_inventory)

    assert (
        expect(PlannerFailed, outcome).error
        == "The language model endpoint could not be reached (2 attempts)."
    )


def test_raw_control_characters_inside_argument_strings_are_tolerated(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(calls(ToolCall("abstain", '{"reason": "not\tsure\nat all"}')))
    outcome = ask(make_planner(), "restart web in prod", seeded_inventory)

    assert "not\tsure" in expect(Abstain, outcome).reason
