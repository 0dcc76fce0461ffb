"""The `opsbot` console script, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docker

from tests.fixtures._labels import TEST_LABELS

REPO = Path(__file__).resolve().parents[2]
OPSBOT = str(Path(sys.executable).parent / "opsbot")


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DOCKER_HOST"}}
    full_env.update({"OPSBOT_KUBE_DISABLED": "true", **(env or {})})
    return subprocess.run(
        [OPSBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=full_env,
        timeout=120,
    )


def test_plan_json_prints_the_typed_plan() -> None:
    result = run("plan", "--json", "scale deploy/web to 5 in prod")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert len(body["steps"]) == 1
    step = body["steps"][0]
    assert (step["operation"], step["name"], step["namespace"], step["replicas"]) == (
        "scale_deployment",
        "web",
        "prod",
        5,
    )
    assert len(body["digest"]) == 64
    # the default requester has no grant for writes in the shipped policy (on any day)
    assert body["decision"]["outcome"] == "deny"
    assert any("no grant" in r for r in body["decision"]["reasons"]), body["decision"]


def test_plan_shows_the_decision_for_a_requester() -> None:
    result = run("plan", "--as", "alice", "scale deploy/web to 5 in staging")
    assert result.returncode == 0, result.stderr
    assert "needs_approval" in result.stdout
    assert "sre" in result.stdout


def test_plan_decides_like_the_service_for_a_disabled_operation() -> None:
    """`opsbot plan` uses the service's decider: an operation this deployment does not enable
    is denied there, never shown as "needs approval"."""
    env = {"OPSBOT_ENABLED_OPERATIONS": '["list_pods", "restart_deployment"]'}
    result = run("plan", "--as", "alice", "scale deploy/web to 5 in staging", env=env)
    assert result.returncode == 0, result.stderr
    assert "Decision for alice: deny" in result.stdout
    assert "scale_deployment is not enabled in this deployment" in result.stdout
    assert "needs_approval" not in result.stdout


def test_plan_reports_a_malformed_command() -> None:
    result = run("plan", "scale deploy/web --replicas lots")
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_policy_check_passes_on_the_shipped_policy() -> None:
    result = run("policy", "check", "policies/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_policy_check_names_a_misspelled_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "approvals:\n  - name: x\n    actions: [write]\n    count: 1\n"
        "    approver_groups: [sre]\n    expires_afterr: 30m\n"
    )
    result = run("policy", "check", str(bad))
    assert result.returncode == 1
    assert "expires_afterr" in result.stdout
    assert "bad.yaml" in result.stdout


def test_policy_test_runs_the_shipped_cases() -> None:
    result = run("policy", "test", "policies/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout


def test_console_chat_end_to_end(
    redis_url: str, docker_host: str, docker_cleanup: docker.DockerClient, busybox_image: str
) -> None:
    docker_cleanup.containers.run(
        busybox_image,
        ["sleep", "300"],
        name="console-web",
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )
    script = "\n".join(
        [
            "docker ps",
            "/as alice",
            "docker stop console-web -t 0",
            "/approve",
            "/as carol",
            "/approve",
            "/quit",
        ]
    )
    result = run(
        "console",
        "--as",
        "bob",
        stdin=script,
        env={
            "REDIS_URL": redis_url,
            "DOCKER_HOST": docker_host,
            "OPSBOT_KEY_PREFIX": "console-test",
        },
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Kubernetes: disabled" in out
    assert "console-web" in out
    assert "[needs_approval]" in out
    assert "own request" in out
    assert "[executing] stop_container" in out
    assert "[execute]" in out
    assert "Undo with: /undo " in out  # the run's report reached the console
    assert docker_cleanup.containers.get("console-web").status == "exited"
    audit = run(
        "audit", "-n", "50", env={"REDIS_URL": redis_url, "OPSBOT_KEY_PREFIX": "console-test"}
    )
    assert "executed" in audit.stdout
    assert "carol" in audit.stdout
