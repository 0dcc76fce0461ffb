"""The fake OpenAI server rejects what the real API rejects (so passing tests mean something)."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.fakes.openai_api import FakeOpenAI, call, calls

TOOL = {
    "type": "function",
    "function": {
        "name": "restart",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
    },
}


def _client(fake: FakeOpenAI, key: str | None = None) -> OpenAI:
    return OpenAI(base_url=fake.base_url, api_key=key or fake.api_key, max_retries=0, timeout=5)


def _create(fake: FakeOpenAI, messages: list[dict[str, Any]], tools: list[Any]) -> Any:
    return _client(fake).chat.completions.create(  # type: ignore[call-overload]
        model="m", messages=messages, tools=tools
    )


def test_tool_message_without_preceding_tool_calls_is_400(openai_fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="must be a response to a preceding"):
        _create(openai_fake, [{"role": "tool", "tool_call_id": "x", "content": "hi"}], [TOOL])


def test_unanswered_tool_calls_are_400(openai_fake: FakeOpenAI) -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "restart", "arguments": "{}"},
                },
            ],
        },
        {"role": "user", "content": "again"},
    ]
    with pytest.raises(openai.BadRequestError, match="must be followed by tool messages"):
        _create(openai_fake, messages, [TOOL])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"additionalProperties": True}, "additionalProperties"),
        ({"required": []}, "'required' is required"),
        (
            {"properties": {"name": {"type": "string", "default": "x"}}},
            "'default' is not permitted",
        ),
    ],
)
def test_non_strict_schemas_are_400(
    openai_fake: FakeOpenAI, change: dict[str, Any], message: str
) -> None:
    tool = {
        **TOOL,
        "function": {
            **TOOL["function"],
            "parameters": {**TOOL["function"]["parameters"], **change},
        },
    }  # type: ignore[dict-item]
    with pytest.raises(openai.BadRequestError, match=message):
        _create(openai_fake, [{"role": "user", "content": "hi"}], [tool])


def test_wrong_key_is_401(openai_fake: FakeOpenAI) -> None:
    with pytest.raises(openai.AuthenticationError):
        _client(openai_fake, key="sk-nope").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )


def test_scripted_tool_calls_are_parsed_by_the_real_client(openai_fake: FakeOpenAI) -> None:
    openai_fake.script(calls(call("restart", name="web")))
    response = _create(openai_fake, [{"role": "user", "content": "restart web"}], [TOOL])
    [tool_call] = response.choices[0].message.tool_calls
    assert (tool_call.function.name, tool_call.function.arguments) == ("restart", '{"name": "web"}')
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage.total_tokens > 0
    assert openai_fake.requests[0]["messages"][0]["content"] == "restart web"
