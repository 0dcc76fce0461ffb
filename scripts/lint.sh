#!/usr/bin/env bash
# Lint: ruff check, ruff format --check, mypy (strict, bot/) and the layer contracts
# (lint-imports, [tool.importlinter] in pyproject.toml). CI runs it before the tests
# (.ci/run); run it before a commit:   bash scripts/lint.sh
# Every check runs; the exit code is 1 if any failed, and the failed ones are named last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[lint] %s\n' "$*" >&2; }
# Python 3.12 comes from the machine (pyenv / .python-version); never download one.
export UV_PYTHON_DOWNLOADS=never
if command -v uv >/dev/null; then UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then UV=(python3 -m uv)
else
  say "installing uv with pip"
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --user uv \
    || python3 -m pip install -q --break-system-packages uv \
    || { say "ERROR: could not install uv: run 'python3 -m pip install uv'"; exit 1; }
  UV=(python3 -m uv)
fi

paths=()
for p in bot tests bench; do [[ -e $p ]] && paths+=("$p"); done
failed=()
check() {  # check NAME HOW-TO-FIX COMMAND...
  local name=$1 fix=$2; shift 2
  say "$name"
  "${UV[@]}" run --frozen "$@" || failed+=("$name (fix: $fix)")
}
check "ruff check" "uv run --frozen ruff check --fix ${paths[*]}, then by hand" \
  ruff check "${paths[@]}"
check "ruff format --check" "uv run --frozen ruff format ${paths[*]}" \
  ruff format --check "${paths[@]}"
check "mypy --strict" "the typing errors above" \
  mypy
check "lint-imports (layer contracts)" "see docs/architecture.md, Layers" \
  lint-imports

if (( ${#failed[@]} )); then
  say "FAILED:"
  for f in "${failed[@]}"; do say "  - $f"; done
  exit 1
fi
say "all checks passed"
