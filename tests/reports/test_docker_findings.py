"""Docker findings against the real Docker daemon: a container that exits with an error, one
that keeps restarting (restart policy on-failure), one that is unhealthy; healthy ones and
clean exits are not findings."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import docker

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.models import Severity
from bot.reports.scope import Thresholds
from tests.fixtures._labels import TEST_LABELS as LABELS  # this session's label
from tests.fixtures.reports import DOCKER_ONLY, assert_commands_parse, by_kind


def _run(client: docker.DockerClient, image: str, name: str, command: str, **kwargs: Any) -> Any:
    return client.containers.run(
        image,
        ["sh", "-c", command],
        name=name,
        detach=True,
        network_mode="none",
        labels=LABELS,
        **kwargs,
    )


def _wait(predicate: Callable[[], bool], *, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _attrs(container: Any) -> dict[str, Any]:
    container.reload()
    attrs: dict[str, Any] = container.attrs
    return attrs


def test_exited_restarting_and_unhealthy_containers(
    docker_cleanup: docker.DockerClient, busybox_image: str, docker_host: str
):
    client = docker_cleanup
    p = f"rep{uuid.uuid4().hex[:6]}"
    failed = _run(client, busybox_image, f"{p}-failed", "echo boom; exit 3")
    clean = _run(client, busybox_image, f"{p}-clean", "exit 0")
    looping = _run(
        client,
        busybox_image,
        f"{p}-looping",
        "exit 1",
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 0},
    )
    sick = _run(
        client,
        busybox_image,
        f"{p}-sick",
        "sleep 300",
        healthcheck={
            "test": ["CMD", "false"],
            "interval": 100_000_000,
            "timeout": 1_000_000_000,
            "retries": 1,
        },
    )
    fine = _run(client, busybox_image, f"{p}-fine", "sleep 300")
    _wait(lambda: _attrs(failed)["State"]["Status"] == "exited", what="the failing container")
    _wait(lambda: _attrs(clean)["State"]["Status"] == "exited", what="the clean container")
    _wait(lambda: _attrs(looping)["RestartCount"] >= 3, what="three restarts")
    _wait(
        lambda: (_attrs(sick)["State"].get("Health") or {}).get("Status") == "unhealthy",
        what="the health check to fail",
    )
    builder = ReportBuilder(
        settings=Settings(kube_disabled=True, docker_hosts={"default": docker_host}),
        thresholds=Thresholds(restart_count=3),
    )

    report = builder.build(DOCKER_ONLY)
    builder.close()

    mine = [f for f in report.findings if f.subject.startswith(f"container/{p}-")]
    kinds = {f.subject.removeprefix("container/"): f.kind for f in mine}
    assert kinds == {
        f"{p}-failed": "container_exited_error",
        f"{p}-looping": "container_restarting",
        f"{p}-sick": "container_unhealthy",
    }
    exited = by_kind(report, "container_exited_error")[f"container/{p}-failed"]
    assert exited.title == f"Container {p}-failed exited with code 3"
    assert exited.severity == Severity.WARNING
    assert exited.scope == "default"
    assert exited.commands[0] == f"docker logs {p}-failed --tail 50"
    restarting = by_kind(report, "container_restarting")[f"container/{p}-looping"]
    assert restarting.severity == Severity.CRITICAL
    assert "keeps restarting" in restarting.title
    unhealthy = by_kind(report, "container_unhealthy")[f"container/{p}-sick"]
    assert unhealthy.commands[0] == f"docker inspect {p}-sick"
    assert report.counters["containers"] >= 5
    assert fine.name not in {f.subject for f in report.findings}
    assert_commands_parse(report)


def test_unreachable_configured_host_is_critical_and_unknown_host_a_note(tmp_path):
    builder = ReportBuilder(
        settings=Settings(
            kube_disabled=True, docker_hosts={"edge": f"unix://{tmp_path}/missing.sock"}
        ),
    )
    scope = DOCKER_ONLY.model_copy(update={"docker_hosts": ["edge", "nowhere"]})

    report = builder.build(scope)

    assert [(f.kind, f.scope, f.severity) for f in report.findings] == [
        ("source_unreachable", "edge", Severity.CRITICAL)
    ]
    assert "cannot connect" in report.findings[0].detail
    assert report.notes == [
        "Docker nowhere: docker host 'nowhere' is not configured; configured hosts: default, edge"
    ]
