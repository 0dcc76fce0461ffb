"""A faithful local stand-in for the OpenAI chat completions API (127.0.0.1 only).

Driven through the real `openai` client. It validates what the real API validates and tests
rely on (bearer auth, the tool-call message sequence, strict tool schemas), answers from a
script (a queue of replies or a function of the request), can fail with 429 + retry-after or
5xx, can delay (for client timeouts), and records every request so tests can assert on prompts.

`quirks` replays documented differences of other OpenAI-compatible servers (SERVER_QUIRKS:
llama.cpp, vLLM, Ollama, LiteLLM), so the planner's compatibility layer is tested per server.

Run standalone for `opsbot eval` in CI:  python -m tests.fakes.openai_api --rules
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ROLES = {"system", "developer", "user", "assistant", "tool"}
# models that, like OpenAI's reasoning models, reject any temperature but the default
FIXED_TEMPERATURE_MODELS = ("o1", "o3", "o4", "gpt-5", "fixed-temp-")

# What each server does differently (measured for llama.cpp, documented for the others):
# - required_500: HTTP 500 for tool_choice "required" (llama-cpp-python: only "auto")
# - required_400_toplevel: HTTP 400 naming tool_choice, error at the body's top level (vLLM)
# - null_content_rejected: an assistant turn with content null is refused (llama-cpp-python)
# - object_arguments: tool-call arguments sent as a JSON object, not a string (Ollama-style)
# - null_usage: token counts present but null (LiteLLM passthrough of some providers)
# - no_usage: no usage object at all
# - empty_choices: `choices: []` (LiteLLM on a filtered response)
# - no_call_ids: tool calls without ids
# - invented_tools: the scripted model may call a tool that was not offered (weak models do)
SERVER_QUIRKS: dict[str, frozenset[str]] = {
    "openai": frozenset(),
    "llama.cpp": frozenset({"required_500", "null_content_rejected"}),
    "vllm": frozenset({"required_400_toplevel"}),
    "ollama": frozenset({"object_arguments", "no_usage"}),
    "litellm": frozenset({"null_usage"}),
}


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str  # a str is sent verbatim (to script malformed JSON)


@dataclass
class ToolCalls:
    calls: list[ToolCall]
    content: str | None = None


@dataclass
class Text:
    content: str


@dataclass
class HttpError:
    status: int
    message: str = "scripted failure"
    retry_after_ms: int | None = None


@dataclass
class Delay:
    seconds: float
    then: Reply


Reply = ToolCalls | Text | HttpError | Delay
Responder = Callable[[dict[str, Any]], Reply]


def call(name: str, /, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments)


def calls(*items: ToolCall, content: str | None = None) -> ToolCalls:
    return ToolCalls(calls=list(items), content=content)


class BadRequest(Exception):
    pass


def _check_strict_schema(schema: Any, where: str) -> None:
    if not isinstance(schema, dict):
        return
    if "default" in schema:
        raise BadRequest(f"Invalid schema for {where}: 'default' is not permitted.")
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            raise BadRequest(
                f"Invalid schema for {where}: 'additionalProperties' is required to be "
                "supplied and to be false."
            )
        if sorted(schema.get("required", [])) != sorted(props):
            raise BadRequest(
                f"Invalid schema for {where}: 'required' is required to be supplied and to be "
                "an array including every key in properties."
            )
        for name, prop in props.items():
            _check_strict_schema(prop, f"{where}.{name}")
    for key in ("anyOf", "items"):
        value = schema.get(key)
        for sub in value if isinstance(value, list) else [value]:
            _check_strict_schema(sub, where)


def validate_request(body: dict[str, Any]) -> None:
    """Raise BadRequest with an OpenAI-like message for what the real API rejects."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("you must provide a model parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty array")
    tools = body.get("tools") or []
    for tool in tools:
        fn = tool.get("function", {})
        if tool.get("type") != "function" or not _NAME.match(str(fn.get("name", ""))):
            raise BadRequest(f"Invalid tool: {json.dumps(tool)[:200]}")
        if fn.get("strict"):
            _check_strict_schema(fn.get("parameters"), f"function '{fn['name']}'")
    if body["model"].startswith(FIXED_TEMPERATURE_MODELS) and body.get("temperature", 1) != 1:
        raise BadRequest(
            f"Unsupported value: 'temperature' does not support {body['temperature']} with this "
            "model. Only the default (1) value is supported."
        )
    if body.get("tool_choice") == "required" and not tools:
        raise BadRequest("tool_choice 'required' needs at least one tool")
    pending: set[str] = set()
    for i, msg in enumerate(messages):
        role = msg.get("role")
        if role not in _ROLES:
            raise BadRequest(f"messages[{i}].role: invalid value {role!r}")
        if role == "tool":
            if msg.get("tool_call_id") not in pending:
                raise BadRequest(
                    f"messages[{i}]: messages with role 'tool' must be a response to a preceding "
                    "message with 'tool_calls'."
                )
            pending.discard(msg["tool_call_id"])
            continue
        if pending:
            raise BadRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. Missing: {sorted(pending)}"
            )
        if role == "assistant" and msg.get("tool_calls"):
            pending = {tc["id"] for tc in msg["tool_calls"]}
        elif not isinstance(msg.get("content"), str):
            raise BadRequest(f"messages[{i}].content must be a string")
    if pending:
        raise BadRequest(f"tool_calls without responses: {sorted(pending)}")


@dataclass
class FakeOpenAI:
    """Scripted server. Use `script(...)` for a queue, or set `responder` for a function."""

    api_key: str = "sk-test-fake-openai-key-000000"
    responder: Responder | None = None
    quirks: frozenset[str] = frozenset()
    requests: list[dict[str, Any]] = field(default_factory=list)
    served: int = 0
    _queue: deque[Reply] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self._queue.extend(replies)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- request handling ---------------------------------------------------------------

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(data)

    def _error(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        message: str,
        kind: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(h, status, {"error": {"message": message, "type": kind, "code": None}}, headers)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("content-length", "0")))
        if h.path.rstrip("/") != "/v1/chat/completions":
            self._error(h, 404, f"Unknown path {h.path}", "invalid_request_error")
            return
        if h.headers.get("authorization") != f"Bearer {self.api_key}":
            self._error(h, 401, "Incorrect API key provided.", "invalid_request_error")
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._error(
                h, 400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
            return
        self.requests.append(body)
        if self._quirk_refusal(h, body):
            return
        try:
            validate_request(body)
        except BadRequest as exc:
            self._error(h, 400, str(exc), "invalid_request_error")
            return
        reply = self._next_reply(body)
        while isinstance(reply, Delay):
            if self._stop.wait(reply.seconds):
                return
            reply = reply.then
        self.served += 1
        if isinstance(reply, HttpError):
            headers = {}
            if reply.retry_after_ms is not None:
                headers["retry-after-ms"] = str(reply.retry_after_ms)
                headers["retry-after"] = str(max(1, reply.retry_after_ms // 1000))
            kind = "requests" if reply.status == 429 else "server_error"
            self._error(h, reply.status, reply.message, kind, headers)
            return
        tool_names = {t["function"]["name"] for t in body.get("tools") or []}
        for tc in reply.calls if isinstance(reply, ToolCalls) else []:
            if tc.name not in tool_names and "invented_tools" not in self.quirks:
                self._error(
                    h, 500, f"script error: tool {tc.name!r} was not offered", "server_error"
                )
                return
        self._send(h, 200, self._completion(body, reply))

    def _quirk_refusal(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> bool:
        required = body.get("tool_choice") == "required"
        if required and "required_500" in self.quirks:
            self._error(h, 500, "tool_choice='required' is not supported", "internal_server_error")
            return True
        if required and "required_400_toplevel" in self.quirks:
            message = "Only 'auto' and named tool_choice are supported; got 'required'"
            self._send(
                h,
                400,
                {"object": "error", "message": message, "type": "BadRequestError", "code": 400},
            )
            return True
        if "null_content_rejected" in self.quirks and any(
            m.get("role") == "assistant" and m.get("content") is None
            for m in body.get("messages", [])
        ):
            self._error(
                h, 500, "'NoneType' object has no attribute 'strip'", "internal_server_error"
            )
            return True
        return False

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        if self._queue:
            return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return HttpError(500, "script exhausted: no reply queued for this request")

    def _completion(self, body: dict[str, Any], reply: ToolCalls | Text) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "refusal": None}
        if isinstance(reply, Text):
            message["content"] = reply.content
            finish = "stop"
        else:
            message["content"] = reply.content
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {
                        "name": tc.name,
                        "arguments": tc.arguments
                        if isinstance(tc.arguments, str) or "object_arguments" in self.quirks
                        else json.dumps(tc.arguments),
                    },
                }
                for tc in reply.calls
            ]
            if "no_call_ids" in self.quirks:
                for item in message["tool_calls"]:
                    del item["id"]
            finish = "tool_calls"
        prompt_tokens = (
            len(json.dumps(body.get("messages"))) // 4 + len(json.dumps(body.get("tools"))) // 4
        )
        completion_tokens = len(json.dumps(message)) // 4
        usage: dict[str, Any] | None = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if "null_usage" in self.quirks:
            usage = {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None}
        choices: list[dict[str, Any]] = [
            {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        ]
        completion = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [] if "empty_choices" in self.quirks else choices,
            "usage": usage,
        }
        if "no_usage" in self.quirks:
            del completion["usage"]
        return completion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", action="store_true", help="answer with the rule-based model")
    args = parser.parse_args()
    # import by module name: under `python -m` this file is __main__, and the rule model's
    # reply classes must be the same classes the server checks with isinstance
    from tests.fakes import openai_api
    from tests.fakes.openai_rules import rule_model

    fake = openai_api.FakeOpenAI(responder=rule_model if args.rules else None).start()
    print(f"export OPENAI_BASE_URL={fake.base_url} OPENAI_API_KEY={fake.api_key}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.close()


if __name__ == "__main__":
    main()
