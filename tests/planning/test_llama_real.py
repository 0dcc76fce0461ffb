"""Protocol behaviour against a REAL llama.cpp server (llama-cpp-python, SmolLM2-135M).

The model is tiny and weak: these tests never judge answer quality. They check that requests
are accepted (no HTTP 500 for tool_choice), that a replayed tool-call turn is accepted, that
generation is bounded, that server errors reach the user with the server's words, and that
whatever the model proposes is either grounded and guarded or refused, never a traceback.
Prompts are kept small where the test allows (the planner's own prompt is ~3.7k tokens: the
first request takes about a minute on 2 CPU cores, later ones reuse the cached prefix).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.evals.runner import eval_command
from bot.planning.base import Abstain, Answer, Clarify, PlannerFailed, PlannerOutcome, Proposed
from bot.planning.endpoint import Endpoint, EndpointError
from bot.planning.grounding import check_plan
from bot.planning.guards import guard_writes
from bot.planning.llm import OpenAIPlanner
from bot.planning.static_inventory import StaticInventory
from bot.planning.wording import Wording
from tests.fixtures.llama_server import LlamaServer
from tests.fixtures.openai_fake import ask

# the first request evaluates the whole ~4k-token prompt: 1-3 minutes on 2 busy cores
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

INVENTORY = StaticInventory(
    deployments={"prod": ["web", "api"], "staging": ["api"]},
    pods={"prod": ["web-7f9c-abcde", "api-5d8b-klmno"], "staging": ["api-6c7d-uvwxy"]},
    containers=["nginx-edge"],
    contexts=["prod-cluster"],
    docker_hosts=["default"],
)
CAP = 16
ABSTAIN_TOOL = {
    "type": "function",
    "function": {
        "name": "abstain",
        "description": "Decline the request.",
        "parameters": {
            "type": "object",
            "properties": {"reason": {"type": "string"}},
            "required": ["reason"],
            "additionalProperties": False,
        },
    },
}


def _settings(server: LlamaServer, **overrides: object) -> Settings:
    base = Settings(
        openai_api_key=SecretStr(server.api_key),
        openai_base_url=server.base_url,
        model=server.model,
        llm_timeout_seconds=420.0,
        llm_max_steps=1,  # no lookups: the smaller tool list keeps the prompt short
    )
    return base.model_copy(update=overrides)


def _planner(server: LlamaServer, **overrides: object) -> OpenAIPlanner:
    planner = OpenAIPlanner.from_settings(_settings(server, **overrides), max_retries=0)
    assert planner is not None
    return planner


def _endpoint(server: LlamaServer, max_tokens: int = CAP) -> Endpoint:
    planner = _planner(server)
    return Endpoint(planner.endpoint._client, model=server.model, max_tokens=max_tokens)


def _nothing_unchecked(outcome: PlannerOutcome, text: str) -> None:
    """A plan from the real model passed the guard and grounding; otherwise there is text."""
    match outcome:
        case Proposed(plan=plan):
            guarded = guard_writes(
                plan.steps, text=Wording.of(text), inventory=INVENTORY, default_context=None
            )
            assert guarded.blocked == [] and guarded.kept == plan.steps
            assert check_plan(plan.steps, inventory=INVENTORY, allowed_namespaces=["*"]).ok
        case (
            Abstain(reason=said)
            | Clarify(question=said)
            | Answer(text=said)
            | PlannerFailed(error=said)
        ):
            assert said, outcome


def test_plain_request_reaches_the_model(llama_server: LlamaServer) -> None:
    planner = _planner(llama_server)
    text = "scale api in staging to 3"
    outcome = ask(planner, text, INVENTORY)

    assert not isinstance(outcome, PlannerFailed), outcome
    assert planner.tool_choice == "auto"  # the server refused "required" (HTTP 500): fell back
    assert outcome.usage.prompt_tokens > 1000  # the whole prompt was evaluated by the model
    _nothing_unchecked(outcome, text)


def test_replayed_tool_call_turn_is_accepted(llama_server: LlamaServer) -> None:
    endpoint = _endpoint(llama_server, max_tokens=64)
    messages = [
        {"role": "system", "content": "Call a tool."},
        {"role": "user", "content": "drain node n1"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "abstain", "arguments": '{"reason": "no"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "recorded"},
        {"role": "user", "content": "Now decline again."},
    ]
    reply = endpoint.complete(messages, [ABSTAIN_TOOL])  # raises EndpointError if refused

    assert reply.prompt_tokens > 0
    assert not reply.empty


def test_generation_is_bounded_by_the_cap(llama_server: LlamaServer) -> None:
    endpoint = _endpoint(llama_server, max_tokens=CAP)
    messages = [{"role": "user", "content": "Write a very long story about a cluster."}]
    reply = endpoint.complete(messages, [])

    assert 0 < reply.completion_tokens <= CAP
    assert reply.truncated  # finish_reason "length": the cap, not the model, ended it


def test_tool_arguments_are_bounded_under_auto(llama_server: LlamaServer) -> None:
    endpoint = _endpoint(llama_server, max_tokens=CAP)
    messages = [{"role": "user", "content": "Decline with a very long reason, many pages."}]
    reply = endpoint.complete(messages, [ABSTAIN_TOOL])

    assert endpoint.tool_choice == "auto"
    # the server ignores max_tokens under "auto"; the schema's maxLength bounds arguments
    assert reply.completion_tokens < 400
    for call in reply.calls:
        assert len(call.arguments) < 400


def test_prompt_over_the_context_gives_the_servers_error(llama_server: LlamaServer) -> None:
    planner = _planner(llama_server, llm_max_steps=2)  # with the lookup tools: a longer prompt
    words = " ".join(f"{(i * 2654435761) % 16**10:010x}" for i in range(360))
    text = f"restart web {words}"[:3990]  # a request may have 4000 characters at most
    outcome = ask(planner, text, INVENTORY, lookup=lambda op: "no data")

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, PlannerFailed), outcome
    assert "HTTP 400" in outcome.error and "context" in outcome.error.lower(), outcome.error
    assert outcome.error in outcome.message


def test_a_request_the_server_rejects_is_an_endpoint_error(
    llama_server: LlamaServer,
) -> None:
    endpoint = _endpoint(llama_server)
    with pytest.raises(EndpointError) as caught:
        endpoint.complete([{"role": "bogus", "content": "x"}], [])
    assert "HTTP 4" in str(caught.value) or "HTTP 5" in str(caught.value)


def test_eval_on_a_bounded_subset(llama_server: LlamaServer, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        """version: 1
inventory:
  deployments: {prod: [web, api], staging: [api]}
  contexts: [prod-cluster]
  docker_hosts: [default]
cases:
  - {id: scale, request: scale api in staging to 3,
     expect: {outcome: plan, steps: [{operation: scale_deployment, replicas: 3}]}}
  - {id: restart, request: restart web in prod,
     expect: {outcome: plan, steps: [{operation: restart_deployment, name: web}]}}
  - {id: drain, request: drain node worker-1, expect: {outcome: abstain}}
  - {id: unknown, request: restart payments in prod, expect: {outcome: decline}}
  - {id: ambiguous, request: restart api, expect: {outcome: decline}}
""",
        encoding="utf-8",
    )
    out = io.StringIO()
    code = eval_command(cases, settings=_settings(llama_server), out=out, as_json=False)
    report = out.getvalue()
    print(report)  # the totals, for the CI log

    assert "TOTAL" in report and "do-nothing baseline" in report
    assert code in (0, 1), report
