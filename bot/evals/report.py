"""Rendering an eval run: a per-case table plus totals, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from bot.evals.scoring import CaseResult


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("ok" if value else "FAIL")


def write_text(
    results: Sequence[CaseResult], summary: dict[str, Any], *, model: str, out: TextIO
) -> None:
    header = (
        f"{'case':<34} {'expected':<13} {'got':<13} {'result':<6} {'abstain':<7} "
        f"{'halluc':<6} {'tokens':>7} {'cost $':>9} {'ms':>7}  parser"
    )
    out.write(f"opsbot eval: model {model}, {summary['cases']} cases\n{header}\n")
    for r in results:
        tokens = r.prompt_tokens + r.completion_tokens
        out.write(
            f"{r.id[:34]:<34} {r.expected:<13} {r.got:<13} {_mark(r.correct):<6} "
            f"{_mark(r.abstention_correct):<7} {len(r.hallucinated_names):<6} {tokens:>7} "
            f"{r.cost_usd:>9.6f} {r.latency_ms:>7.0f}  {_mark(r.parser_correct)}\n"
        )
        if not r.correct:
            out.write(f"    -> {r.error or r.detail}\n")
    s = summary
    out.write(
        "\nTOTAL\n"
        f"  accuracy:                 {s['correct']}/{s['cases']} ({s['accuracy_pct']}%)\n"
        f"  abstention correctness:   {s['abstention_correct']}/{s['cases']} "
        f"({s['abstention_correctness_pct']}%)\n"
        f"  do-nothing baseline:      {s['baseline_correct']}/{s['cases']} "
        f"({s['baseline_accuracy_pct']}%) correct, abstention "
        f"{s['baseline_abstention_correct']}/{s['cases']} "
        f"({s['baseline_abstention_correctness_pct']}%) (always abstain)\n"
        f"  hallucinated-name rate:   {s['hallucinated_cases']}/{s['cases']} "
        f"({s['hallucinated_name_rate_pct']}%)\n"
        f"  errors (endpoint):        {s['errors']} (scored wrong)\n"
        f"  tokens:                   {s['prompt_tokens'] + s['completion_tokens']} "
        f"(prompt {s['prompt_tokens']}, completion {s['completion_tokens']})\n"
        f"  estimated cost:           ${s['cost_usd']:.6f}\n"
        f"  latency:                  mean {s['latency_ms_mean']} ms, "
        f"p95 {s['latency_ms_p95']} ms\n"
        f"  explicit parser accuracy: {s['parser_correct']}/{s['parser_cases']} "
        f"({s['parser_accuracy_pct']}%), produced a plan for {s['parser_planned']}\n"
    )


def write_json(
    results: Sequence[CaseResult], summary: dict[str, Any], *, model: str, out: TextIO
) -> None:
    payload = {
        "model": model,
        "summary": summary,
        "cases": [r.model_dump() for r in results],
    }
    out.write(json.dumps(payload, indent=2) + "\n")
