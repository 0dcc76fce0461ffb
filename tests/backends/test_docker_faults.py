"""Docker backend retry and timeout policy, against a Docker API test server that injects
faults a real daemon will not produce on demand."""

from __future__ import annotations

import pytest

from bot.backends.base import ErrorKind, Status
from bot.backends.docker_backend import DockerBackend
from bot.backends.docker_hosts import RETRY_DELAYS_SECONDS
from bot.catalog import parse_operation
from bot.config import Settings
from tests.fakes.docker_api import FakeDockerDaemon

ATTEMPTS = len(RETRY_DELAYS_SECONDS) + 1
LIST = parse_operation({"operation": "list_containers"})


def _backend(fake: FakeDockerDaemon, *, timeout: float = 5.0) -> DockerBackend:
    return DockerBackend(
        settings=Settings(docker_hosts={"default": fake.url}, docker_timeout_seconds=timeout)
    )


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_errors_are_retried_then_succeed(fake_docker: FakeDockerDaemon, status: int):
    fake_docker.add_container("web-1")
    fake_docker.fault("GET", "/containers/json", status=status, times=ATTEMPTS - 1)

    result = _backend(fake_docker).execute(LIST)

    assert result.status == Status.SUCCESS, result.error
    assert [row["name"] for row in result.data["containers"]] == ["web-1"]
    assert fake_docker.count("GET", "/containers/json") == ATTEMPTS


def test_persistent_5xx_gives_up_after_bounded_retries(fake_docker: FakeDockerDaemon):
    fake_docker.fault("GET", "/containers/json", status=500, times=10, message="disk on fire")

    result = _backend(fake_docker).execute(LIST)

    assert result.status == Status.ERROR
    assert result.error_kind == ErrorKind.TEMPORARY
    assert result.error is not None
    assert "answered 500" in result.error and "disk on fire" in result.error
    assert fake_docker.count("GET", "/containers/json") == ATTEMPTS


def test_conflict_is_not_retried(fake_docker: FakeDockerDaemon):
    fake_docker.add_container("web-1")
    fake_docker.fault(
        "POST", "/containers/web-1/restart", status=409, message="container is being removed"
    )
    op = parse_operation({"operation": "restart_container", "container": "web-1"})

    result = _backend(fake_docker).execute(op)

    assert result.error_kind == ErrorKind.CONFLICT
    assert result.error == "container is being removed"
    assert result.call == "POST /containers/web-1/restart?t=10 on host default"
    assert fake_docker.count("POST", "/containers/web-1/restart") == 1


@pytest.mark.timeout(20)
def test_slow_read_times_out_and_is_retried(fake_docker: FakeDockerDaemon):
    fake_docker.fault("GET", "/containers/json", delay=1.5, times=10)

    result = _backend(fake_docker, timeout=0.3).execute(LIST)

    assert result.error_kind == ErrorKind.TEMPORARY
    assert result.error is not None and "did not answer within 0.3s" in result.error
    assert "OPSBOT_DOCKER_TIMEOUT_SECONDS" in (result.hint or "")
    assert fake_docker.count("GET", "/containers/json") == ATTEMPTS


@pytest.mark.timeout(20)
def test_a_write_that_timed_out_is_never_resent(fake_docker: FakeDockerDaemon):
    fake_docker.add_container("web-1")
    fake_docker.fault("POST", "/containers/web-1/restart", delay=1.5, times=10)
    op = parse_operation(
        {"operation": "restart_container", "container": "web-1", "timeout_seconds": 0}
    )

    result = _backend(fake_docker, timeout=0.3).execute(op)

    assert result.error_kind == ErrorKind.TEMPORARY
    assert result.call == "POST /containers/web-1/restart?t=0 on host default"
    assert fake_docker.count("POST", "/containers/web-1/restart") == 1
