"""`opsbot eval CASES`: run a YAML case set against the configured OpenAI-compatible endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.catalog import Operation
from bot.config import Settings
from bot.evals.case_file import Case, CaseFile, CaseFileError, load_cases
from bot.evals.report import write_json, write_text
from bot.evals.scoring import CaseResult, score_case, score_parser, summarize
from bot.models import Principal, Request
from bot.planning.llm import OpenAIPlanner

EVAL_USER = Principal(id="opsbot-eval", name="eval")


class _CannedReads:
    """The read executor for the eval: canned text per operation kind (case, then file)."""

    def __init__(self, defaults: dict[str, str]) -> None:
        self._defaults = defaults
        self.case: Case | None = None

    def __call__(self, op: Operation) -> str:
        if self.case is not None and op.kind in self.case.reads:
            return self.case.reads[op.kind]
        return self._defaults.get(op.kind, f"(no {op.kind} data)")


def _parser_verdict(case: Case) -> tuple[str | None, bool | None]:
    try:
        from bot.parsing import parse_command
    except ImportError:
        return None, None
    return score_parser(case, parse_command(case.request))


def run_cases(cases: CaseFile, planner: OpenAIPlanner, reads: _CannedReads) -> list[CaseResult]:
    inventory = cases.inventory.build()
    results = []
    for case in cases.cases:
        reads.case = case
        request = Request(principal=EVAL_USER, text=case.request, source="eval")
        outcome = planner.plan(
            request,
            requester=EVAL_USER,
            inventory=inventory,
            allowed_namespaces=case.allowed_namespaces,
            lookup=reads,
        )
        result = score_case(case, outcome)
        result.parser_got, result.parser_correct = _parser_verdict(case)
        results.append(result)
    return results


def eval_command(cases_path: Path, *, settings: Settings, out: TextIO, as_json: bool) -> int:
    """Exit code: 0 when every case ran, 1 when the endpoint failed on some, 2 on setup errors."""
    try:
        cases = load_cases(cases_path)
    except CaseFileError as exc:
        out.write(f"error: {exc}\n")
        return 2
    reads = _CannedReads(cases.reads)
    planner = OpenAIPlanner.from_settings(settings)
    if planner is None:
        out.write(
            "error: OPENAI_API_KEY is not set. The eval runs against an OpenAI-compatible "
            "endpoint: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI endpoint, "
            "OPSBOT_MODEL for the model).\n"
        )
        return 2
    results = run_cases(cases, planner, reads)
    summary = summarize(results, cases.cases)
    writer = write_json if as_json else write_text
    writer(results, summary, model=settings.model, out=out)
    return 1 if summary["errors"] else 0
