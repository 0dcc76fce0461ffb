"""A refused connection is reported as refused, with the address and what to check, never as a
timeout. The port is a real loopback port that is bound but not listening (so nothing else can
take it while the test runs): the kernel answers every connect with ECONNREFUSED at once."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from kubernetes import client

from bot.backends.base import ErrorKind, Status
from bot.backends.docker_backend import DockerBackend
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import parse_operation
from bot.config import Settings


@pytest.fixture
def closed_port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connects are refused
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def test_kubernetes_refused_connection_says_refused(closed_port: int) -> None:
    configuration = client.Configuration(host=f"http://127.0.0.1:{closed_port}")
    backend = KubernetesBackend(
        settings=Settings(kube_timeout_seconds=5.0),
        api_client_factory=lambda ctx: client.ApiClient(configuration=configuration),
    )
    result = backend.execute(parse_operation({"operation": "list_pods", "namespace": "prod"}))
    assert result.status == Status.ERROR
    assert result.error_kind == ErrorKind.TEMPORARY
    error = result.error or ""
    assert error.startswith(f"connection refused at 127.0.0.1:{closed_port}: "), error
    assert "is the Kubernetes API server running?" in error
    assert "did not answer" not in error and "within" not in error


def test_docker_refused_connection_says_refused(closed_port: int) -> None:
    url = f"tcp://127.0.0.1:{closed_port}"
    backend = DockerBackend(settings=Settings(docker_hosts={"default": url}))
    result = backend.execute(parse_operation({"operation": "list_containers"}))
    assert result.error_kind == ErrorKind.TEMPORARY
    error = result.error or ""
    assert error.startswith(f"connection refused at 127.0.0.1:{closed_port}: "), error
    assert "is the Docker daemon running?" in error and "docker host 'default'" in error
    assert "did not answer" not in error
