"""`docker stats` and `docker top` against the session's REAL dockerd (network none)."""

from __future__ import annotations

from bot.backends.base import ErrorKind, Status
from bot.backends.docker_backend import DockerBackend
from bot.catalog import parse_operation
from tests.fixtures.docker_backend import ContainerFactory


def test_stats_one_sample_of_running_containers(
    docker_backend: DockerBackend, containers: ContainerFactory
) -> None:
    containers.run("busy", ["sh", "-c", "while true; do :; done"])
    containers.run("idle")
    containers.run("stopped", start=False)
    result = docker_backend.execute(parse_operation({"operation": "docker_stats"}))
    assert result.status == Status.SUCCESS, result.error
    rows = {r["name"]: r for r in result.data["containers"]}
    assert containers.name("busy") in rows and containers.name("idle") in rows
    assert containers.name("stopped") not in rows
    busy = rows[containers.name("busy")]
    assert busy["cpu_percent"] is not None and busy["cpu_percent"] > 1.0
    assert busy["memory_bytes"] is not None and busy["memory_limit_bytes"] > 0
    assert busy["net_rx_bytes"] is None  # network none
    assert "(no network)" in (result.text or "")
    one = docker_backend.execute(
        parse_operation({"operation": "docker_stats", "container": containers.name("idle")})
    )
    assert [r["name"] for r in one.data["containers"]] == [containers.name("idle")]


def test_top_lists_processes_with_redacted_command_lines(
    docker_backend: DockerBackend, containers: ContainerFactory
) -> None:
    containers.run("web", ["sh", "-c", "sleep 301 --password=Top-Secret-Pw-55 || sleep 300"])
    result = docker_backend.execute(
        parse_operation({"operation": "docker_top", "container": containers.name("web")})
    )
    assert result.status == Status.SUCCESS, result.error
    assert "PID" in result.data["titles"]
    commands = " ".join(str(p) for p in result.data["processes"])
    assert "sleep" in commands
    assert "Top-Secret-Pw-55" not in result.model_dump_json()
    missing = docker_backend.execute(
        parse_operation({"operation": "docker_top", "container": containers.name("nope")})
    )
    assert missing.error_kind == ErrorKind.NOT_FOUND
