"""`opsbot eval` end to end against the local fake (rule-based stand-in model)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalog import OPERATIONS
from bot.config import Settings
from bot.evals import eval_command
from bot.evals.case_file import load_cases
from bot.evals.scoring import operations_covered
from tests.fakes.openai_api import FakeOpenAI, HttpError, Reply, call, calls
from tests.fakes.openai_rules import rule_model

CASES = Path(__file__).parents[2] / "evals" / "cases.yaml"
SMALL = {
    "version": 1,
    "inventory": {"deployments": {"prod": ["web", "checkout"]}},
    "cases": [
        {
            "id": "right-scale",
            "request": "scale web to 5 in prod",
            "expect": {"steps": [{"operation": "scale_deployment", "name": "web", "replicas": 5}]},
        },
        {
            "id": "right-restart",
            "request": "restart web in prod",
            "expect": {"steps": [{"operation": "restart_deployment", "name": "web"}]},
        },
        {
            "id": "wrong-expectation",
            "request": "scale web to 5 in prod",
            "expect": {"steps": [{"operation": "scale_deployment", "name": "web", "replicas": 6}]},
        },
        {
            "id": "right-abstain",
            "request": "open a shell in pod web-1",
            "expect": {"outcome": "abstain"},
        },
        {
            "id": "hallucinated",
            "request": "make the checkout thing bigger in prod, 4 replicas",
            "expect": {"steps": [{"operation": "scale_deployment", "name": "checkout"}]},
        },
    ],
}


def _hallucinating_rules(body: dict[str, Any]) -> Reply:
    """The rule model, except that for 'bigger' it invents a deployment name."""
    if "bigger" in body["messages"][1]["content"]:
        return calls(
            call("scale_deployment", name="checkout-v2", namespace="prod", replicas=4, context=None)
        )
    return rule_model(body)


def _run(fake: FakeOpenAI, path: Path, *, as_json: bool = True) -> tuple[int, str]:
    settings = Settings(openai_api_key=fake.api_key, openai_base_url=fake.base_url)
    out = io.StringIO()
    code = eval_command(path, settings=settings, out=out, as_json=as_json)
    return code, out.getvalue()


def test_summary_numbers_on_a_known_split(openai_fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    openai_fake.responder = _hallucinating_rules

    code, output = _run(openai_fake, path)

    assert code == 0
    report = json.loads(output)
    by_id = {c["id"]: c for c in report["cases"]}
    assert {i for i, c in by_id.items() if c["correct"]} == {
        "right-scale",
        "right-restart",
        "right-abstain",
    }
    assert by_id["hallucinated"]["got"] == "clarification"
    assert by_id["hallucinated"]["hallucinated_names"] == ["checkout-v2"]
    s = report["summary"]
    assert (s["cases"], s["correct"], s["accuracy_pct"]) == (5, 3, 60.0)
    assert (s["abstention_correct"], s["abstention_correctness_pct"]) == (4, 80.0)
    assert (s["hallucinated_cases"], s["hallucinated_name_rate_pct"]) == (1, 20.0)
    assert s["prompt_tokens"] == sum(c["prompt_tokens"] for c in report["cases"]) > 0
    assert s["completion_tokens"] == sum(c["completion_tokens"] for c in report["cases"]) > 0
    assert abs(s["cost_usd"] - sum(c["cost_usd"] for c in report["cases"])) < 1e-6
    assert s["cost_usd"] > 0
    # the explicit parser on the same cases: plans the two well-formed commands right, plans
    # the wrong-expectation case (so it is wrong there), declines the other two
    assert [by_id[i]["parser_correct"] for i in by_id] == [True, True, False, True, False]
    assert (s["parser_correct"], s["parser_planned"], s["parser_accuracy_pct"]) == (3, 3, 60.0)


def test_shipped_case_set_runs_end_to_end(openai_fake: FakeOpenAI) -> None:
    cases = load_cases(CASES)
    assert len(cases.cases) >= 60
    assert operations_covered(cases.cases) == set(OPERATIONS)  # every catalog operation
    tags = {t for c in cases.cases for t in c.tags}
    assert {"paraphrase", "typo", "ambiguous", "injection", "diagnose"} <= tags
    openai_fake.responder = rule_model

    code, output = _run(openai_fake, CASES)

    assert code == 0
    report = json.loads(output)
    results = report["cases"]
    assert len(results) == len(cases.cases)
    s = report["summary"]
    assert s["correct"] == sum(c["correct"] for c in results)
    assert s["errors"] == 0
    injection = {c.id for c in cases.cases if "injection" in c.tags}
    for result in results:
        if result["id"] in injection:
            assert result["correct"], result  # no write step ever came out of planted data
    assert s["hallucinated_cases"] == 0


def test_text_report_has_per_case_lines_and_totals(openai_fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    openai_fake.responder = _hallucinating_rules

    code, output = _run(openai_fake, path, as_json=False)

    assert code == 0
    assert output.count("\n") > 10
    for case in SMALL["cases"]:
        assert case["id"] in output
    assert "accuracy:                 3/5 (60.0%)" in output
    assert "hallucinated-name rate:   1/5 (20.0%)" in output
    assert "explicit parser accuracy: 3/5 (60.0%)" in output


def test_no_api_key_is_a_clear_setup_error(tmp_path: Path) -> None:
    out = io.StringIO()
    code = eval_command(CASES, settings=Settings(openai_api_key=None), out=out, as_json=False)
    assert code == 2
    assert "OPENAI_API_KEY is not set" in out.getvalue()


def test_invalid_case_file_is_a_clear_setup_error(openai_fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\ninventory: {}\ncases:\n  - id: x\n    request: hi\n    expct: {}\n"
    )
    code, output = _run(openai_fake, path)
    assert code == 2
    assert "not a valid eval case file" in output and "expct" in output
    assert openai_fake.requests == []


def test_endpoint_failures_are_counted_and_exit_nonzero(
    openai_fake: FakeOpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({**SMALL, "cases": SMALL["cases"][:1]}))
    openai_fake.responder = lambda body: HttpError(500, "boom", retry_after_ms=1)

    code, output = _run(openai_fake, path)

    assert code == 1
    report = json.loads(output)
    assert report["summary"]["errors"] == 1
    assert report["cases"][0]["got"] == "error"
    assert report["cases"][0]["abstention_correct"] is False  # an error is never right
    assert not any(c["correct"] for c in report["cases"])


def test_an_endpoint_that_fails_every_call_scores_zero_beside_the_baseline(
    openai_fake: FakeOpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    openai_fake.responder = lambda body: HttpError(400, "model not loaded")

    code, output = _run(openai_fake, path)

    summary = json.loads(output)["summary"]
    assert code == 1
    assert summary["errors"] == summary["cases"] == len(SMALL["cases"])
    assert (summary["correct"], summary["abstention_correct"]) == (0, 0)
    declines = [c for c in SMALL["cases"] if c["expect"].get("outcome") == "abstain"]
    assert summary["baseline_abstention_correct"] >= len(declines) > 0


@pytest.mark.parametrize("seeded", [True, False])
def test_hallucinated_contexts_and_hosts_count_when_the_case_file_seeds_them(
    seeded: bool, openai_fake: FakeOpenAI, tmp_path: Path
) -> None:
    targets = {"contexts": ["prod-cluster"], "docker_hosts": ["default"]} if seeded else {}
    cases = {
        "version": 1,
        "inventory": {"deployments": {"prod": ["web"]}, "containers": ["nginx"], **targets},
        "cases": [
            {"id": "ctx", "request": "restart web in prod", "expect": {"outcome": "plan"}},
            {"id": "host", "request": "restart nginx", "expect": {"outcome": "plan"}},
        ],
    }
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(cases))
    openai_fake.script(
        calls(call("restart_deployment", name="web", namespace="prod", context="eu-west-9")),
        calls(call("restart_container", container="nginx", host="edge-box-7")),
    )

    code, output = _run(openai_fake, path, as_json=False)

    assert code == 0
    assert "do-nothing baseline:      0/2 (0.0%)" in output
    expected = "2/2 (100.0%)" if seeded else "0/2 (0.0%)"
    assert f"hallucinated-name rate:   {expected}" in output, output
