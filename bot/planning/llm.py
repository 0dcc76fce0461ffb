"""The OpenAI planner: chat completions with tools generated from the catalog.

One call of `plan()` is a bounded loop: at most `max_steps` model calls (plus one repair of bad
tool arguments), at most `max_lookups_per_reply` lookups run per model reply and
`max_lookups_per_request` in all (the rest are answered "not run"). Lookups run through the
`lookup` function passed with each request (bound to its requester) and come back as redacted,
delimited data with evidence ids. The final turn's tool calls become a PlannerOutcome (base.py:
Proposed, Clarify, Abstain, Answer or PlannerFailed), after the code-level guard (guards.py:
every step held to the user's words) and grounding: an unknown name is never returned as a plan.

Talking to the server (tool_choice fallback, completion cap, retries, tolerant parsing of the
reply) is endpoint.py's job; the model's free text is cleaned by modeltext.py.

Each call offers only the tool families the request's words name (toolselect.py) plus
`more_tools`; calling it re-sends the full list in the next turn (one model call, counted in
`max_steps`). A call to a tool that was not offered in that turn is rejected like an unknown one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from openai import OpenAI

from bot.catalog import Operation
from bot.config import Settings
from bot.models import Principal, Request
from bot.plan import Plan
from bot.planning import tools as toolset
from bot.planning.base import (
    FALLBACK_HINT,
    Abstain,
    Answer,
    Clarify,
    Inventory,
    PlannerFailed,
    PlannerOutcome,
    Proposed,
    Usage,
)
from bot.planning.cost import estimate_cost
from bot.planning.diagnose import EvidenceLog, ReadTool
from bot.planning.endpoint import Call, Endpoint, EndpointError, ModelReply
from bot.planning.grounding import GroundingUnavailable, check_plan
from bot.planning.guards import guard_writes
from bot.planning.modeltext import MODEL_LABEL, clean_model_text
from bot.planning.prompt import compact_inventory, request_message, system_prompt
from bot.planning.toolargs import ArgumentError, arguments, error_text, to_operation
from bot.planning.toolselect import select_families
from bot.planning.wording import Wording

log = logging.getLogger(__name__)

MAX_PLAN_STEPS = 10
_TEXT_LIMIT = 1500


@dataclass
class _Run:
    request: Request
    wording: Wording
    default_context: str | None
    inventory: Inventory
    allowed: Sequence[str]
    messages: list[dict[str, Any]]
    usage: Usage
    evidence: EvidenceLog | None
    families: tuple[str, ...] | None  # the offered tool families; None: every tool
    offered: frozenset[str] = frozenset()  # tool names offered in the latest call


class _ModelFailure(Exception):
    """The endpoint answered, but not with anything usable."""


class _NeedsRepair(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _clip(text: str, limit: int = _TEXT_LIMIT) -> str:
    return clean_model_text(text, limit)


class OpenAIPlanner:
    """Planner protocol implementation backed by any OpenAI-compatible chat completions API."""

    def __init__(
        self,
        *,
        client: OpenAI,
        model: str,
        max_steps: int = 4,
        max_data_chars: int = 3000,
        timeout_seconds: float | None = None,
        max_lookups_per_reply: int = 5,
        max_lookups_per_request: int = 12,
        max_tokens: int = 512,
        max_retries: int = 2,
    ) -> None:
        self._endpoint = Endpoint(
            client,
            model=model,
            max_tokens=max_tokens,
            max_retries=max_retries,
            timeout_seconds=timeout_seconds,
        )
        self.model = model
        self.max_steps = max_steps
        self._max_data_chars = max_data_chars
        self._timeout_seconds = timeout_seconds
        self.max_lookups_per_reply = max_lookups_per_reply
        self.max_lookups_per_request = max_lookups_per_request

    @classmethod
    def from_settings(cls, settings: Settings, *, max_retries: int = 2) -> OpenAIPlanner | None:
        """The configured planner, or None when OPENAI_API_KEY is not set. `max_retries`:
        retries of errors that can succeed on retry (endpoint.py); the client itself never
        retries."""
        if settings.openai_api_key is None:
            return None
        client = OpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value(),
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )
        return cls(
            client=client,
            model=settings.model,
            max_steps=settings.llm_max_steps,
            max_data_chars=min(settings.max_output_chars, 6000),
            timeout_seconds=settings.llm_timeout_seconds,
            max_lookups_per_reply=settings.llm_max_lookups_per_reply,
            max_lookups_per_request=settings.llm_max_lookups_per_request,
            max_tokens=settings.llm_max_tokens,
            max_retries=max_retries,
        )

    # -- public API -------------------------------------------------------------------------

    @property
    def tool_choice(self) -> str:
        """ "required", or "auto" once this endpoint refused "required" (see endpoint.py)."""
        return self._endpoint.tool_choice

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def plan(
        self,
        request: Request,
        *,
        requester: Principal,
        inventory: Inventory,
        allowed_namespaces: Sequence[str] = ("*",),
        default_context: str | None = None,
        lookup: ReadTool | None = None,
    ) -> PlannerOutcome:
        started = time.perf_counter()
        wording = Wording.of(request.text)
        usage = Usage(model=self.model)
        prompt = system_prompt(
            max_lookups=max(self.max_steps - 1, 0) if lookup is not None else 0,
            per_reply=self.max_lookups_per_reply,
            per_request=self.max_lookups_per_request,
        )
        data_and_request = request_message(
            allowed_namespaces=allowed_namespaces,
            inventory_block=compact_inventory(
                inventory, text=request.text, allowed_namespaces=allowed_namespaces
            ),
            text=request.text,
        )
        run = _Run(
            request=request,
            wording=wording,
            default_context=default_context,
            inventory=inventory,
            allowed=allowed_namespaces,
            messages=[
                {"role": "system", "content": prompt},
                {"role": "user", "content": data_and_request},
            ],
            usage=usage,
            evidence=EvidenceLog(
                read_tool=lookup,
                inventory=inventory,
                allowed_namespaces=allowed_namespaces,
                max_data_chars=self._max_data_chars,
                wording=wording,
                default_context=default_context,
                max_lookups=self.max_lookups_per_request,
            )
            if lookup is not None
            else None,
            families=select_families(request.text),
        )
        try:
            outcome = self._loop(run)
        except GroundingUnavailable as exc:
            outcome = Abstain(
                f"I could not check names against the cluster ({_clip(str(exc))}),"
                " so I did not plan anything. Try again shortly.",
            )
        except (_ModelFailure, EndpointError) as exc:
            outcome = self._failure(str(exc))
        usage.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        usage.cost_usd = estimate_cost(
            model=self.model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
        log.debug(
            "llm plan for %s: %d+%d tokens, %.0f ms",
            requester.id,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.latency_ms,
        )
        return replace(outcome, usage=usage)

    # -- the loop ---------------------------------------------------------------------------

    @staticmethod
    def _failure(what: str) -> PlannerOutcome:
        return PlannerFailed(what)

    def _complete(self, run: _Run, *, with_lookups: bool, with_more: bool) -> ModelReply:
        tools = toolset.offered_tools(run.families, with_lookups=with_lookups, with_more=with_more)
        run.offered = toolset.tool_names(tools)
        reply = self._endpoint.complete(run.messages, tools)
        run.usage.prompt_tokens += reply.prompt_tokens
        run.usage.completion_tokens += reply.completion_tokens
        if reply.empty:
            raise _ModelFailure("The language model returned an empty response (no choices).")
        return reply

    def _loop(self, run: _Run) -> PlannerOutcome:
        repairs_left = 1
        calls_made = 0
        while True:
            last_call = calls_made >= self.max_steps - 1
            with_lookups = run.evidence is not None and not last_call
            reply = self._complete(run, with_lookups=with_lookups, with_more=not last_call)
            calls_made += 1
            tool_calls = reply.calls
            if not tool_calls:
                if repairs_left and self._endpoint.tool_choice == "auto" and not reply.truncated:
                    # tool_choice "auto" lets a model just talk: ask once for a tool call
                    repairs_left -= 1
                    self._ask_for_tool_call(run, reply.content)
                    continue
                return self._text_only(reply)
            run.messages.append(_assistant_message(reply.content, tool_calls))
            if any(c.name == toolset.MORE_TOOLS and c.name in run.offered for c in tool_calls):
                self._widen(run, tool_calls)
                continue
            lookups = [c for c in tool_calls if toolset.lookup_kind(c.name)]
            finals = [c for c in tool_calls if c not in lookups]
            if not finals:
                if not with_lookups:
                    return self._no_conclusion(run)
                self._run_lookups(run, lookups)
                continue
            try:
                return self._finish(run, finals)
            except _NeedsRepair as repair:
                if repairs_left == 0:
                    problems = "; ".join(repair.errors.values())
                    return Abstain(
                        "The model's proposal was not valid even after one "
                        f"correction ({_clip(problems, 400)}). {FALLBACK_HINT}",
                        evidence=_citations(run),
                    )
                repairs_left -= 1
                self._answer_for_repair(run, tool_calls, repair.errors)

    @staticmethod
    def _widen(run: _Run, calls: list[Call]) -> None:
        """`more_tools`: every tool from the next call on; the other calls of the reply are
        answered but not run (the model calls them again with the full list)."""
        run.families = None
        for call in calls:
            content = (
                "every tool is now available: call the ones the request needs"
                if call.name == toolset.MORE_TOOLS
                else "not run: call it again now that every tool is available"
            )
            run.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    @staticmethod
    def _ask_for_tool_call(run: _Run, said: str) -> None:
        run.messages.append({"role": "assistant", "content": said or "(no reply)"})
        run.messages.append(
            {
                "role": "user",
                "content": "Reply only by calling the provided tools: a step tool for the "
                "request, ask_clarification, or abstain.",
            }
        )

    def _answer_for_repair(self, run: _Run, calls: list[Call], errors: dict[str, str]) -> None:
        for call in calls:
            if call.id in errors:
                content = f"error: {errors[call.id]}. Call the tool again with valid arguments."
            else:
                content = "not recorded: re-issue the complete set of calls after fixing errors."
            run.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    def _text_only(self, reply: ModelReply) -> PlannerOutcome:
        clipped = _clip(reply.content, 500)
        cut = f" (cut off at the {self._endpoint.max_tokens}-token cap)" if reply.truncated else ""
        if clipped.endswith("?") and not reply.truncated:
            return Clarify(f"{MODEL_LABEL} {clipped}")
        detail = f" {MODEL_LABEL} {clipped}" if clipped else ""
        return Abstain(f"The model did not choose an action{cut}.{detail} {FALLBACK_HINT}")

    def _no_conclusion(self, run: _Run) -> PlannerOutcome:
        return Abstain(
            f"I could not reach a conclusion within {self.max_steps} steps.",
            evidence=_citations(run),
        )

    # -- lookups ----------------------------------------------------------------------------

    def _run_lookups(self, run: _Run, calls: list[Call]) -> None:
        assert run.evidence is not None
        for position, call in enumerate(calls):
            if call.name not in run.offered:
                content = f"not run: {_not_offered(run, call.name)}"
            elif position < self.max_lookups_per_reply:
                content = run.evidence.run(call.name, call.arguments)
            else:  # every call is answered (the API requires it); the extra ones do not run
                content = (
                    f"not run: at most {self.max_lookups_per_reply} lookups run per reply; "
                    "ask again for what you still need, fewer at a time."
                )
            run.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    # -- the final turn ---------------------------------------------------------------------

    def _finish(self, run: _Run, calls: list[Call]) -> PlannerOutcome:
        errors: dict[str, str] = {}
        steps: list[Operation] = []
        answer: str | None = None
        cited: list[str] = []
        for call in calls:
            name = call.name
            try:
                if name not in run.offered:
                    errors[call.id] = _not_offered(run, name)
                    continue
                if name == toolset.ABSTAIN:
                    reason = str(arguments(call.arguments).get("reason") or "")
                    return Abstain(
                        f"The model declined: {_clip(reason)}"
                        if _clip(reason)
                        else "The model declined this request.",
                        evidence=_citations(run),
                    )
                if name == toolset.ASK_CLARIFICATION:
                    question = str(arguments(call.arguments).get("question") or "")
                    return Clarify(
                        _clip(question or "Could you rephrase the request?"),
                        evidence=_citations(run),
                    )
                if name == toolset.ANSWER:
                    args = arguments(call.arguments)
                    answer = _clip(str(args.get("text") or ""))
                    raw_cited = args.get("evidence") or []
                    cited = [str(c) for c in raw_cited] if isinstance(raw_cited, list) else []
                elif (kind := toolset.step_kind(name)) is not None:
                    steps.append(to_operation(kind, call.arguments))
                else:
                    errors[call.id] = f"unknown tool '{name}'"
            except ArgumentError as exc:
                errors[call.id] = f"{name}: {error_text(exc)}"
        if errors:
            raise _NeedsRepair(errors)
        return self._outcome(run, steps=steps, answer=answer, cited=cited)

    def _outcome(
        self, run: _Run, *, steps: list[Operation], answer: str | None, cited: list[str]
    ) -> PlannerOutcome:
        evidence = run.evidence.citations(cited) if run.evidence else []
        if answer is not None and run.evidence is not None:
            answer = run.evidence.cite(answer, cited)
        if len(steps) > MAX_PLAN_STEPS:
            return Abstain(
                f"The proposal has {len(steps)} steps; at most {MAX_PLAN_STEPS} "
                "are allowed in one plan. Split the request.",
                answer=answer,
                evidence=evidence,
            )
        guarded = guard_writes(
            steps, text=run.wording, inventory=run.inventory, default_context=run.default_context
        )
        # names in blocked steps are never shown back as questions (they may come from planted
        # text), but they are recorded so hallucinated names are measured
        silent = check_plan(guarded.blocked_ops, inventory=run.inventory, allowed_namespaces=["*"])
        silent_names = silent.rejected_names
        note = ""
        if guarded.blocked:
            note = "Not planned (only changes you ask for are proposed): " + "; ".join(
                guarded.blocked
            )
        if not guarded.kept:
            if answer is not None:
                text = answer + (f"\n{note}" if note else "")
                return Answer(text, evidence=evidence, rejected_names=silent_names)
            return Abstain(
                note or "The model proposed no plan steps.",
                evidence=evidence,
                rejected_names=silent_names,
            )
        report = check_plan(guarded.kept, inventory=run.inventory, allowed_namespaces=run.allowed)
        rejected = silent_names + report.rejected_names
        if report.out_of_scope:
            return Abstain(
                "; ".join(report.out_of_scope),
                answer=answer,
                evidence=evidence,
                rejected_names=rejected,
            )
        if report.problems:
            return Clarify(
                "; ".join(report.problems),
                answer=answer,
                evidence=evidence,
                rejected_names=rejected,
            )
        explanation = "\n".join(part for part in (answer, note) if part) or None
        plan = Plan(
            steps=guarded.kept,
            source="llm",
            explanation=explanation[:2000] if explanation else None,
        )
        return Proposed(plan, evidence=evidence, rejected_names=rejected)


def _not_offered(run: _Run, name: str) -> str:
    known = toolset.step_kind(name) or toolset.lookup_kind(name) or name == toolset.MORE_TOOLS
    what = f"tool '{name}' was not offered in this turn" if known else f"unknown tool '{name}'"
    if toolset.MORE_TOOLS in run.offered:
        return f"{what}; call {toolset.MORE_TOOLS} to get every tool"
    return what


def _citations(run: _Run) -> list[str]:
    return run.evidence.citations() if run.evidence is not None else []


def _assistant_message(content: str, calls: list[Call]) -> dict[str, Any]:
    """The replayed tool-call turn; content is "" (never null: llama.cpp rejects null)."""
    return {
        "role": "assistant",
        "content": content or "",
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ],
    }
