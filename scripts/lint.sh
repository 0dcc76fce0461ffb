#!/usr/bin/env bash
# Lint and type-check (also run by tests/test_zz_lint.py as part of the test command).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
paths=()
for p in bot tests bench; do [[ -e $p ]] && paths+=("$p"); done
uv run ruff check "${paths[@]}"
uv run ruff format --check "${paths[@]}"
uv run mypy
