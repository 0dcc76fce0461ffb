"""Docker backend failures: not found with suggestions, unknown host alias, unreachable daemon,
DOCKER_HOST fallback for the default alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backends.base import ErrorKind, Status
from bot.backends.docker_backend import DockerBackend
from bot.catalog import parse_operation
from bot.config import Settings
from tests.fixtures.docker_backend import ContainerFactory


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("inspect_container", "GET /containers/{}/json"),
        ("container_logs", "GET /containers/{}/logs?stdout=1&stderr=1&tail=100"),
        ("stop_container", "GET /containers/{}/json"),
    ],
)
def test_not_found_suggests_the_closest_live_name(
    docker_backend: DockerBackend, containers: ContainerFactory, operation: str, call: str
):
    web = containers.run("web-1")
    wrong = containers.name("web-9")

    result = docker_backend.execute(parse_operation({"operation": operation, "container": wrong}))

    assert result.status == Status.ERROR
    assert result.error_kind == ErrorKind.NOT_FOUND
    assert result.error == f"no container '{wrong}' on host default; did you mean {web.name}?"
    assert result.hint == f"did you mean {web.name}?"
    assert result.data == {"suggestions": [web.name]}
    assert result.call == call.format(wrong) + " on host default"


def test_not_found_without_anything_close(docker_backend: DockerBackend):
    result = docker_backend.execute(
        parse_operation({"operation": "inspect_container", "container": "zz-nothing-like-it"})
    )
    assert result.error_kind == ErrorKind.NOT_FOUND
    assert result.error == "no container 'zz-nothing-like-it' on host default"
    assert "docker ps --all" in (result.hint or "")


def test_preview_of_missing_container_carries_the_error(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("web-1")
    preview = docker_backend.preview(
        parse_operation({"operation": "restart_container", "container": containers.name("web-2")})
    )
    assert preview.current == {}
    assert preview.dry_run is not None
    assert preview.dry_run.error_kind == ErrorKind.NOT_FOUND
    assert web.name in (preview.note or "")


def test_unknown_host_alias_names_the_configured_ones(docker_host: str):
    settings = Settings(docker_hosts={"default": docker_host, "edge": docker_host})
    backend = DockerBackend(settings=settings)

    result = backend.execute(
        parse_operation({"operation": "restart_container", "container": "web-1", "host": "prod"})
    )
    preview = backend.preview(
        parse_operation({"operation": "stop_container", "container": "web-1", "host": "prod"})
    )

    assert result.status == Status.ERROR
    assert result.error_kind == ErrorKind.NOT_CONFIGURED
    assert result.error == "docker host 'prod' is not configured; configured hosts: default, edge"
    assert "OPSBOT_DOCKER_HOSTS" in (result.hint or "")
    assert result.call.startswith("(not sent: restart_container(")
    assert preview.dry_run is not None
    assert preview.dry_run.error_kind == ErrorKind.NOT_CONFIGURED
    assert backend.known_names("containers", host="prod") == []


def test_second_alias_reaches_its_daemon(docker_host: str, containers: ContainerFactory):
    web = containers.run("web-1")
    backend = DockerBackend(settings=Settings(docker_hosts={"edge": docker_host}))
    try:
        result = backend.execute(
            parse_operation(
                {"operation": "inspect_container", "container": web.name, "host": "edge"}
            )
        )
    finally:
        backend.close()
    assert result.status == Status.SUCCESS, result.error
    assert result.call == f"GET /containers/{web.name}/json on host edge"


def test_default_alias_falls_back_to_docker_host_env(
    docker_host: str, containers: ContainerFactory, monkeypatch: pytest.MonkeyPatch
):
    web = containers.run("web-1")
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    backend = DockerBackend(settings=Settings(docker_hosts={}))
    try:
        assert backend.check() is None
        assert web.name in backend.known_names("containers")
    finally:
        backend.close()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["missing-socket", "refused-tcp"])
def test_unreachable_daemon_is_a_clear_error_not_a_hang(tmp_path: Path, kind: str):
    url = (
        f"unix://{tmp_path}/no-such-docker.sock"
        if kind == "missing-socket"
        else "tcp://127.0.0.1:1"
    )
    backend = DockerBackend(
        settings=Settings(docker_hosts={"default": url}, docker_timeout_seconds=3)
    )

    listed = backend.execute(parse_operation({"operation": "list_containers"}))
    stopped = backend.execute(
        parse_operation({"operation": "stop_container", "container": "web-1"})
    )
    reason = backend.check()

    assert listed.status == Status.ERROR
    assert listed.error_kind == ErrorKind.TEMPORARY
    assert listed.call == "GET /containers/json on host default"
    assert listed.error is not None
    if kind == "missing-socket":
        assert listed.error.startswith(f"cannot connect to docker host 'default' ({url}): ")
        assert "No such file or directory" in listed.error
    else:
        assert listed.error.startswith("connection refused at 127.0.0.1:1: ")
        assert "is the Docker daemon running?" in listed.error
    assert "dockerd is running" in (listed.hint or "")
    assert stopped.error_kind == ErrorKind.TEMPORARY
    assert reason is not None and "docker host 'default'" in reason and "\n" not in reason
    assert backend.known_names("containers") == []


def test_disabled_backend_says_so():
    backend = DockerBackend(settings=Settings(docker_disabled=True))
    result = backend.execute(parse_operation({"operation": "list_containers"}))
    assert result.error_kind == ErrorKind.NOT_CONFIGURED
    assert "disabled" in (result.error or "")
    assert backend.check() == "docker backend disabled (OPSBOT_DOCKER_DISABLED=true)"


def test_non_docker_operation_is_rejected(docker_backend: DockerBackend):
    result = docker_backend.execute(
        parse_operation({"operation": "list_pods", "namespace": "prod"})
    )
    assert result.status == Status.ERROR
    assert result.error_kind == ErrorKind.INVALID


def test_not_found_suggests_names_that_extend_the_given_one(
    docker_backend: DockerBackend, containers: ContainerFactory
):
    web = containers.run("api-7f9c")
    short = containers.name("api")
    result = docker_backend.execute(
        parse_operation({"operation": "inspect_container", "container": short})
    )
    assert result.error_kind == ErrorKind.NOT_FOUND
    assert result.data == {"suggestions": [web.name]}
