"""The CI path: the standalone fake endpoint (rule-based mode) plus `opsbot eval` as processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture
def fake_endpoint_env() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_api", "--rules"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("export "), f"fake endpoint did not start: {line!r}"
        pairs = dict(item.split("=", 1) for item in shlex.split(line)[1:])
        yield pairs
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_opsbot_eval_runs_the_shipped_cases_against_the_standalone_fake(
    fake_endpoint_env: dict[str, str],
) -> None:
    assert fake_endpoint_env["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OPSBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "eval", "evals/cases.yaml", "--json"],
        cwd=ROOT,
        env={**env, **fake_endpoint_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["summary"]["cases"] >= 60
    assert report["summary"]["errors"] == 0
    assert report["summary"]["correct"] == sum(c["correct"] for c in report["cases"])
