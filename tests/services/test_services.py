"""The service fixtures give working real services."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
import redis
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.fixtures.services import (
    SESSION_ID,
    TEST_LABEL_KEY,
    TEST_LABELS,
    RealCluster,
    redis_is_shared,
    remove_test_containers,
    start_redis,
)

GREETING = f"greeting:{SESSION_ID}"


def test_redis_set_get_and_flushed_per_test(redis_client: redis.Redis) -> None:
    if not redis_is_shared():
        assert redis_client.dbsize() == 0  # the session's own server is flushed before each test
    redis_client.set(GREETING, "hello")
    assert redis_client.get(GREETING) == "hello"


def test_redis_is_flushed_between_tests(redis_client: redis.Redis) -> None:
    if redis_is_shared():  # OPSBOT_TEST_REDIS_URL may be shared: it must never be flushed
        assert redis_client.get(GREETING) == "hello"
        redis_client.delete(GREETING)
    else:
        assert redis_client.get(GREETING) is None


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
    kept.remove(force=True)


def test_remove_test_containers_on_a_shared_daemon_touches_only_this_session(
    docker_cleanup: docker.DockerClient, busybox_image: str
) -> None:
    other_session = {TEST_LABEL_KEY: f"not-{SESSION_ID}"}
    foreign = docker_cleanup.containers.create(
        busybox_image, ["true"], network_mode="none", labels=other_session
    )
    unlabelled = docker_cleanup.containers.create(busybox_image, ["true"], network_mode="none")
    ours = docker_cleanup.containers.create(
        busybox_image, ["true"], network_mode="none", labels=TEST_LABELS
    )
    try:
        removed = remove_test_containers(docker_cleanup, keep=set(), shared=True)
        assert removed == [ours.id]
        remaining = {c.id for c in docker_cleanup.containers.list(all=True)}
        assert {foreign.id, unlabelled.id} <= remaining
        assert ours.id not in remaining
    finally:
        for container in (foreign, unlabelled):
            container.remove(force=True)


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
