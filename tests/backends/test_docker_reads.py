"""Docker backend reads against the real daemon: list, inspect, logs, exit codes, names."""

from __future__ import annotations

from bot.backends.base import Status
from bot.backends.docker_backend import DockerBackend
from bot.catalog import parse_operation
from bot.config import Settings
from tests.fixtures.docker_backend import ContainerFactory


def _names(result_data: dict) -> set[str]:
    return {row["name"] for row in result_data["containers"]}


def test_list_running_only_and_all(docker_backend: DockerBackend, containers: ContainerFactory):
    running = containers.run("web-1")
    stopped = containers.run("web-2", start=False)

    only_running = docker_backend.execute(parse_operation({"operation": "list_containers"}))
    everything = docker_backend.execute(
        parse_operation({"operation": "list_containers", "all": True})
    )

    assert only_running.status == Status.SUCCESS, only_running.error
    assert only_running.call == "GET /containers/json on host default"
    assert running.name in _names(only_running.data)
    assert stopped.name not in _names(only_running.data)
    assert everything.call == "GET /containers/json?all=1 on host default"
    assert {running.name, stopped.name} <= _names(everything.data)
    row = next(r for r in everything.data["containers"] if r["name"] == running.name)
    assert row["state"] == "running"
    assert row["image"] == containers.image
    assert row["id"] == running.id[:12]
    header = everything.text.splitlines()[0]
    assert header.split() == ["NAME", "STATE", "STATUS", "IMAGE"]
    assert any(
        line.startswith(stopped.name) and "created" in line for line in everything.text.splitlines()
    )
    assert everything.duration_ms > 0


def test_exit_code_shown_in_list_and_inspect(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    failed = containers.run("job", ["sh", "-c", "echo boom; exit 3"])
    assert failed.wait(timeout=30)["StatusCode"] == 3

    listed = docker_backend.execute(parse_operation({"operation": "list_containers", "all": True}))
    row = next(r for r in listed.data["containers"] if r["name"] == failed.name)
    assert row["state"] == "exited"
    assert row["exit_code"] == 3
    assert "Exited (3)" in row["status"]

    inspected = docker_backend.execute(
        parse_operation({"operation": "inspect_container", "container": failed.name})
    )
    assert inspected.status == Status.SUCCESS, inspected.error
    assert inspected.data["state"]["exit_code"] == 3
    assert inspected.data["state"]["running"] is False
    assert "exited (exit code 3)" in inspected.text


def test_inspect_never_shows_env_values_or_secrets(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    secret = "abc"
    web = containers.run(
        "web-1",
        ["sh", "-c", "sleep 300 # --password hunter2secret api_key=zzz999"],
        env={"SECRET_TOKEN": secret, "PLAIN": "visible-value"},
        labels={"db_password": "pw-in-label", "team": "payments"},
    )

    result = docker_backend.execute(
        parse_operation({"operation": "inspect_container", "container": web.name})
    )

    assert result.status == Status.SUCCESS, result.error
    assert result.call == f"GET /containers/{web.name}/json on host default"
    rendered = result.model_dump_json()
    assert "SECRET_TOKEN=abc" not in rendered
    assert '"abc"' not in rendered
    assert "visible-value" not in rendered  # every env value is hidden, not only secret-looking
    assert "pw-in-label" not in rendered
    assert "hunter2secret" not in rendered
    assert "zzz999" not in rendered
    assert result.data["env"]["SECRET_TOKEN"] == "[REDACTED]"
    assert "PLAIN" in result.data["env"]
    assert result.data["labels"]["team"] == "payments"
    assert result.data["name"] == web.name
    assert result.data["state"]["running"] is True
    assert result.data["network_mode"] == "none"
    assert "SECRET_TOKEN=[REDACTED]" in result.text


def test_logs_tail_and_redaction(docker_backend: DockerBackend, containers: ContainerFactory):
    script = "for i in $(seq 1 50); do echo line-$i; done; echo 'token=s3cr3tvalue'; echo done"
    job = containers.run("logger", ["sh", "-c", script])
    job.wait(timeout=30)

    result = docker_backend.execute(
        parse_operation({"operation": "container_logs", "container": job.name, "tail_lines": 5})
    )

    assert result.status == Status.SUCCESS, result.error
    assert result.call == (
        f"GET /containers/{job.name}/logs?stdout=1&stderr=1&tail=5 on host default"
    )
    lines = result.text.splitlines()
    assert lines == ["line-48", "line-49", "line-50", "token=[REDACTED]", "done"]
    assert "s3cr3tvalue" not in result.model_dump_json()
    assert result.truncated is False
    assert result.data["lines"] == 5


def test_long_logs_are_truncated_keeping_the_tail(docker_host: str, containers: ContainerFactory):
    job = containers.run("noisy", ["sh", "-c", "for i in $(seq 1 3000); do echo line-$i; done"])
    job.wait(timeout=30)
    backend = DockerBackend(
        settings=Settings(docker_hosts={"default": docker_host}, max_output_chars=500)
    )
    try:
        result = backend.execute(
            parse_operation(
                {"operation": "container_logs", "container": job.name, "tail_lines": 5000}
            )
        )
    finally:
        backend.close()

    assert result.status == Status.SUCCESS, result.error
    assert result.truncated is True
    assert result.data["lines"] == 3000
    assert result.text.startswith("… [truncated:")
    assert result.text.endswith("line-3000\n")
    assert "line-1\n" not in result.text
    assert len(result.text) < 600


def test_logs_of_a_silent_container_is_no_data(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    quiet = containers.run("quiet")
    result = docker_backend.execute(
        parse_operation({"operation": "container_logs", "container": quiet.name})
    )
    assert result.status == Status.NO_DATA
    assert result.ok


def test_known_names_are_live_names(docker_backend: DockerBackend, containers: ContainerFactory):
    web = containers.run("web-1")
    stopped = containers.run("web-2", start=False)
    names = docker_backend.known_names("containers")
    assert {web.name, stopped.name} <= set(names)
    web.remove(force=True)
    assert web.name not in docker_backend.known_names("containers")
    assert docker_backend.known_names("hosts") == ["default"]


def test_check_is_none_when_the_daemon_answers(docker_backend: DockerBackend):
    assert docker_backend.check() is None
