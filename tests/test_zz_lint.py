"""Lint and type-check as part of the test command (runs last; see scripts/lint.sh)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_PATHS = [p for p in ("bot", "tests", "bench") if (ROOT / p).exists()]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", *LINT_PATHS),
        ("ruff", "format", "--check", *LINT_PATHS),
        ("mypy",),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_lint(command: tuple[str, ...]) -> None:
    result = _run(*command)
    exit_code = result.returncode
    assert exit_code == 0, (
        f"`{' '.join(command)}` failed (exit {result.returncode}); fix it or run "
        f"`bash scripts/lint.sh`:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    )
