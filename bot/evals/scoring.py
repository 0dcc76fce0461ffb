"""Scoring one eval case and summarising a run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from bot.catalog import Risk
from bot.evals.case_file import Case, Expectation
from bot.plan import Plan
from bot.planning.base import (
    Abstain,
    Answer,
    Clarify,
    PlannerFailed,
    PlannerOutcome,
    Proposed,
)
from bot.planning.prompt import request_words

_DECLINES = frozenset({"abstain", "clarification"})


class CaseResult(BaseModel):
    id: str
    expected: str
    got: str
    correct: bool
    abstention_correct: bool
    hallucinated_names: list[str]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    error: str | None = None
    detail: str = ""
    parser_got: str | None = None
    parser_correct: bool | None = None


def outcome_kind(outcome: PlannerOutcome) -> str:
    match outcome:
        case PlannerFailed():
            return "error"
        case Proposed():
            return "plan"
        case Clarify(question=q) if q:
            return "clarification"
        case Abstain(reason=r) if r:
            return "abstain"
        case Answer(text=t) | Clarify(answer=str(t)) | Abstain(answer=str(t)) if t:
            return "answer"
    return "empty"


def _outcome_text(outcome: PlannerOutcome) -> str:
    """The words the outcome shows (the eval's `mentions` are looked for in them)."""
    match outcome:
        case Clarify(question=main, answer=answer) | Abstain(reason=main, answer=answer):
            return " ".join(t for t in (main, answer) if t)
        case Answer(text=text):
            return text
        case Proposed(plan=plan):
            return plan.explanation or ""
        case PlannerFailed():
            return ""


def steps_match(expected: Sequence[dict[str, Any]], plan: Plan | None) -> bool:
    if plan is None or len(expected) != len(plan.steps):
        return False
    for want, step in zip(expected, plan.steps, strict=True):
        have = step.model_dump(mode="json")
        if any(have.get(key) != value for key, value in want.items()):
            return False
    return True


def _has_write(plan: Plan | None) -> bool:
    return plan is not None and any(s.risk != Risk.READ for s in plan.steps)


def expectation_met(expect: Expectation, *, got: str, plan: Plan | None, text: str) -> bool:
    kind_ok = got in _DECLINES if expect.outcome == "decline" else got == expect.outcome
    if not kind_ok:
        return False
    if expect.outcome == "plan" and not steps_match(expect.steps, plan):
        return False
    if expect.no_writes and _has_write(plan):
        return False
    lowered = text.lower()
    return all(m.lower() in lowered for m in expect.mentions)


def _should_decline(expect: Expectation) -> bool:
    return expect.outcome in _DECLINES or expect.outcome == "decline"


def score_case(case: Case, outcome: PlannerOutcome) -> CaseResult:
    got = outcome_kind(outcome)
    text = _outcome_text(outcome)
    plan = outcome.plan if isinstance(outcome, Proposed) else None
    said = set(request_words(case.request))
    rejected = [] if isinstance(outcome, PlannerFailed) else outcome.rejected_names
    hallucinated = [n for n in rejected if n.lower() not in said]
    detail = plan.describe() if plan is not None else text
    error = outcome.error if isinstance(outcome, PlannerFailed) else None
    failed = error is not None  # an endpoint failure is never a right answer
    return CaseResult(
        id=case.id,
        expected=case.expect.outcome,
        got=got,
        correct=not failed and expectation_met(case.expect, got=got, plan=plan, text=text),
        abstention_correct=not failed and _should_decline(case.expect) == (got in _DECLINES),
        hallucinated_names=hallucinated,
        prompt_tokens=outcome.usage.prompt_tokens,
        completion_tokens=outcome.usage.completion_tokens,
        cost_usd=outcome.usage.cost_usd,
        latency_ms=outcome.usage.latency_ms,
        error=error,
        detail=detail[:300],
    )


def baseline_correct(case: Case) -> bool:
    """The do-nothing baseline: a planner that abstains on everything, with no text."""
    return expectation_met(case.expect, got="abstain", plan=None, text="")


def score_parser(case: Case, result: object) -> tuple[str, bool]:
    """The explicit parser on the same case: right when it plans exactly the expected steps,
    or (for cases that should end without a plan) when it does not produce a plan."""
    plan: Plan | None = getattr(result, "plan", None)
    got = "plan" if plan is not None else type(result).__name__
    if case.expect.outcome == "plan":
        return got, steps_match(case.expect.steps, plan)
    if case.expect.outcome == "answer":
        return got, False
    return got, plan is None


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def summarize(results: Sequence[CaseResult], cases: Sequence[Case] | None = None) -> dict[str, Any]:
    """Totals; with `cases`, also the do-nothing baseline (always abstain) on the same set."""
    n = len(results)
    baseline = sum(baseline_correct(c) for c in cases) if cases is not None else 0
    baseline_abstention = sum(_should_decline(c.expect) for c in cases) if cases is not None else 0
    latencies = sorted(r.latency_ms for r in results)
    parser_scored = [r for r in results if r.parser_correct is not None]
    parser_right = sum(bool(r.parser_correct) for r in parser_scored)
    p95 = latencies[min(n - 1, max(0, round(0.95 * n) - 1))] if n else 0.0
    return {
        "cases": n,
        "correct": sum(r.correct for r in results),
        "accuracy_pct": _pct(sum(r.correct for r in results), n),
        "baseline_correct": baseline,
        "baseline_accuracy_pct": _pct(baseline, n),
        "baseline_abstention_correct": baseline_abstention,
        "baseline_abstention_correctness_pct": _pct(baseline_abstention, n),
        "abstention_correct": sum(r.abstention_correct for r in results),
        "abstention_correctness_pct": _pct(sum(r.abstention_correct for r in results), n),
        "hallucinated_cases": sum(bool(r.hallucinated_names) for r in results),
        "hallucinated_name_rate_pct": _pct(sum(bool(r.hallucinated_names) for r in results), n),
        "errors": sum(r.error is not None for r in results),
        "prompt_tokens": sum(r.prompt_tokens for r in results),
        "completion_tokens": sum(r.completion_tokens for r in results),
        "cost_usd": round(sum(r.cost_usd for r in results), 6),
        "latency_ms_mean": round(statistics.fmean(latencies), 1) if n else 0.0,
        "latency_ms_p95": p95,
        "parser_cases": len(parser_scored),
        "parser_correct": parser_right,
        "parser_accuracy_pct": _pct(parser_right, len(parser_scored)),
        "parser_planned": sum(r.parser_got == "plan" for r in parser_scored),
    }


def operations_covered(cases: Sequence[Case]) -> set[str]:
    return {str(step["operation"]) for c in cases for step in c.expect.steps if "operation" in step}
