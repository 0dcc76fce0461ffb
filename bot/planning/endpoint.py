"""One chat-completions call to an OpenAI-compatible server, with the compatibility layer.

Servers differ (see README "Model servers"): llama.cpp answers HTTP 500 to
`tool_choice: "required"`, some reject `content: null` beside tool calls, vLLM puts its error
at the top level of the body, Ollama may send tool arguments as an object, LiteLLM may send
null token counts. This module hides that from the planner loop:

- `tool_choice` starts as "required"; a server that refuses it (an HTTP error mentioning
  tool_choice, or any 500 on a request that had "required") is asked once more with "auto",
  and the endpoint (base URL + model) is remembered as auto-only for the rest of the process.
- every call carries a completion cap (`max_tokens`; `max_completion_tokens` for reasoning
  models) so a weak model cannot generate until its context is full. llama-cpp-python's
  chatml-function-calling ignores that cap under "auto" (it generates tool arguments with
  max_tokens=None, measured: one call ran 2,432 tokens / 6 min until n_ctx was full), so
  under "auto" every string in the tool schemas gets a `maxLength` and every array a
  `maxItems`: the server's grammar then bounds the arguments. (Not sent under "required":
  OpenAI's strict mode does not accept string lengths.)
- only errors that can succeed on retry are retried (429, 502, 503, 504, connection errors),
  honouring retry-after; never 4xx, a plain 500, or a timeout (a slow server stays slow).
- the reply is parsed from the raw JSON, tolerantly: anything odd becomes a `ModelReply`
  field or an `EndpointError` with a readable, redacted message, never an exception from
  deep inside a client model.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import OpenAI

from bot.redact import redact

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
# reasoning models accept only their default temperature and take max_completion_tokens
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_MAX_RETRY_WAIT_SECONDS = 10.0
_MESSAGE_LIMIT = 300
MAX_STRING_CHARS = 300
MAX_ARRAY_ITEMS = 12

_AUTO_ONLY: set[str] = set()
"""Endpoints (base URL + model) that refused tool_choice "required", for this process."""


class EndpointError(Exception):
    """The endpoint could not be used; `str(exc)` is the sentence shown to the user."""


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    arguments: str  # always JSON text: an object sent by the server is re-serialised


@dataclass
class ModelReply:
    content: str = ""
    calls: list[Call] = field(default_factory=list)
    truncated: bool = False  # finish_reason "length": the completion cap was reached
    empty: bool = False  # no choices at all
    prompt_tokens: int = 0
    completion_tokens: int = 0


def server_message(exc: openai.APIStatusError) -> str:
    """The server's own error text (OpenAI, vLLM top-level and FastAPI `detail` shapes),
    redacted and clipped; "" when it sent none."""
    body: Any = exc.body
    text = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            inner = inner.get("message") or inner.get("detail") or ""
        text = str(inner or body.get("message") or body.get("detail") or "")
    elif isinstance(body, str):
        text = body
    text = " ".join(redact(text).split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_reply(data: Any) -> ModelReply:
    """A chat completion body as a ModelReply; tolerant of every documented server quirk."""
    if not isinstance(data, dict):
        raise EndpointError("The language model endpoint did not answer with a chat completion.")
    usage = _dict(data.get("usage"))
    reply = ModelReply(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
    )
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        reply.empty = True
        return reply
    choice = choices[0]
    message = _dict(choice.get("message"))
    reply.content = _text(message.get("content"))
    reply.truncated = choice.get("finish_reason") == "length"
    raw_calls = message.get("tool_calls")
    for position, item in enumerate(raw_calls if isinstance(raw_calls, list) else []):
        if not isinstance(item, dict):
            continue
        function = _dict(item.get("function"))
        args = function.get("arguments")
        if isinstance(args, dict | list):
            args = json.dumps(args)
        elif args is None:
            args = "{}"
        call_id = item.get("id")
        reply.calls.append(
            Call(
                id=call_id if isinstance(call_id, str) and call_id else f"call_opsbot_{position}",
                name=str(function.get("name") or ""),
                arguments=str(args),
            )
        )
    return reply


def bounded_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool list with a maxLength on every string and a maxItems on every array."""
    bounded = copy.deepcopy(tools)

    def visit(schema: Any) -> None:
        if isinstance(schema, dict):
            kinds = schema.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if "string" in kinds:
                schema.setdefault("maxLength", MAX_STRING_CHARS)
            if "array" in kinds:
                schema.setdefault("maxItems", MAX_ARRAY_ITEMS)
            for value in schema.values():
                visit(value)
        elif isinstance(schema, list):
            for item in schema:
                visit(item)

    for tool in bounded:
        visit(tool.get("function", {}).get("parameters"))
    return bounded


def _retry_wait(exc: Exception, attempt: int) -> float:
    headers = exc.response.headers if isinstance(exc, openai.APIStatusError) else {}
    try:
        if "retry-after-ms" in headers:
            return min(float(headers["retry-after-ms"]) / 1000, _MAX_RETRY_WAIT_SECONDS)
        if "retry-after" in headers:
            return min(float(headers["retry-after"]), _MAX_RETRY_WAIT_SECONDS)
    except ValueError:
        pass
    return min(0.5 * 2.0**attempt, 4.0)


def _refuses_required(exc: openai.APIStatusError, request: dict[str, Any]) -> bool:
    if request.get("tool_choice") != "required" or exc.status_code < 400:
        return False
    mentions = re.search(r"tool[_ ]choice", f"{exc.message} {server_message(exc)}", re.I)
    return bool(mentions) or exc.status_code == 500


class Endpoint:
    """Chat completions against one server and model. The client must not retry by itself
    (`max_retries=0`): this class decides what is worth retrying."""

    def __init__(
        self,
        client: OpenAI,
        *,
        model: str,
        max_tokens: int = 512,
        max_retries: int = 2,
        timeout_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.model = model
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self._timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._key = f"{client.base_url}|{model}"
        reasoning = model.startswith(REASONING_PREFIXES)
        self._send_temperature = not reasoning
        self._cap_name = "max_completion_tokens" if reasoning else "max_tokens"

    @property
    def tool_choice(self) -> str:
        return "auto" if self._key in _AUTO_ONLY else "required"

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            self._cap_name: self.max_tokens,
        }
        if tools:  # tool_choice without tools is an error on OpenAI
            auto = self.tool_choice == "auto"
            request.update(
                tools=bounded_tools(tools) if auto else tools, tool_choice=self.tool_choice
            )
        if self._send_temperature:
            request["temperature"] = 0  # deterministic decoding
        return parse_reply(self._post(request))

    def _post(self, request: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            try:
                raw = self._client.chat.completions.with_raw_response.create(**request)
                return json.loads(raw.http_response.text or "null")
            except json.JSONDecodeError as exc:
                raise EndpointError(
                    "The language model endpoint answered with something that is not JSON."
                ) from exc
            except openai.APITimeoutError as exc:
                raise EndpointError(
                    f"The language model did not answer within {self._timeout_seconds or '?'}s."
                ) from exc
            except openai.APIConnectionError as exc:
                if attempt >= self.max_retries:
                    raise EndpointError(
                        "The language model endpoint could not be reached "
                        f"({attempt + 1} attempts)."
                    ) from exc
            except openai.APIStatusError as exc:
                if _refuses_required(exc, request):
                    _AUTO_ONLY.add(self._key)  # this server only takes "auto": remember it
                    request["tool_choice"] = "auto"
                    request["tools"] = bounded_tools(request["tools"])
                    continue
                message = server_message(exc)
                if self._send_temperature and exc.status_code == 400 and "temperature" in message:
                    self._send_temperature = False  # only its default temperature: remember it
                    request.pop("temperature", None)
                    continue
                if exc.status_code not in RETRYABLE_STATUS or attempt >= self.max_retries:
                    raise EndpointError(_status_sentence(exc.status_code, message)) from exc
                self._sleep(_retry_wait(exc, attempt))
                attempt += 1
                continue
            self._sleep(min(0.5 * 2.0**attempt, 4.0))
            attempt += 1


def _status_sentence(status: int, message: str) -> str:
    if status == 429:
        head = "The language model is rate limiting us (HTTP 429)"
    else:
        head = f"The language model endpoint returned HTTP {status}"
    return f"{head}: {message}" if message else f"{head}."
