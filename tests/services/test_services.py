"""The service fixtures give working real services."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
import redis
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.fixtures.services import TEST_LABELS, RealCluster, remove_test_containers, start_redis


def test_redis_set_get_and_flushed_per_test(redis_client: redis.Redis) -> None:
    assert redis_client.dbsize() == 0
    redis_client.set("greeting", "hello")
    assert redis_client.get("greeting") == "hello"


def test_redis_is_flushed_between_tests(redis_client: redis.Redis) -> None:
    assert redis_client.get("greeting") is None


def test_start_redis_appendonly_survives_crash(tmp_path: Path) -> None:
    server = start_redis(tmp_path, appendonly=True)
    try:
        first = redis.Redis.from_url(server.url)
        first.set("kept", "yes")
        first.close()
        server.kill()
        server.start()
        second = redis.Redis.from_url(server.url)
        assert second.get("kept") == b"yes"
        second.close()
    finally:
        server.stop()


def test_docker_runs_busybox_offline(
    docker_cleanup: docker.DockerClient, busybox_image: str
) -> None:
    container = docker_cleanup.containers.run(
        busybox_image,
        ["sh", "-c", "echo hi; exit 3"],
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )
    result = container.wait(timeout=30)
    assert result["StatusCode"] == 3
    assert container.logs() == b"hi\n"
    container.reload()
    assert container.attrs["HostConfig"]["NetworkMode"] == "none"


def test_remove_test_containers_keeps_only_preexisting_unlabelled(
    docker_cleanup: docker.DockerClient, busybox_image: str
) -> None:
    kept = docker_cleanup.containers.create(busybox_image, ["true"], network_mode="none")
    labelled = docker_cleanup.containers.create(
        busybox_image, ["sleep", "60"], network_mode="none", labels=TEST_LABELS
    )
    labelled.start()
    new = docker_cleanup.containers.create(busybox_image, ["true"], network_mode="none")
    removed = remove_test_containers(docker_cleanup, keep={kept.id, labelled.id})
    assert set(removed) == {labelled.id, new.id}
    remaining = {c.id for c in docker_cleanup.containers.list(all=True)}
    assert kept.id in remaining
    assert not {labelled.id, new.id} & remaining


def test_real_k8s_admin_lists_namespaces(real_k8s: RealCluster) -> None:
    core = client.CoreV1Api(real_k8s.api_client("admin"))
    name = real_k8s.namespace("svc-test")
    names = {ns.metadata.name for ns in core.list_namespace().items}
    assert {"default", "kube-system", name} <= names
    assert name.startswith("svc-test-")
    assert core.read_namespaced_service_account("default", name).metadata.name == "default"


def test_real_k8s_opsbot_cannot_read_secrets(real_k8s: RealCluster) -> None:
    core = client.CoreV1Api(real_k8s.api_client("opsbot"))
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_secret("default")
    assert caught.value.status == 403
