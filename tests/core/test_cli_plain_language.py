"""`opsbot plan` with plain language (issue 15 item 5): the planner plans, nothing executes;
the reads it wants are listed, and run as the --as user through policy only with --lookups."""

from __future__ import annotations

import json
from collections.abc import Iterator

import docker
import pytest

from tests.core.test_cli import run
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures._labels import TEST_LABELS

NAME = "cli-plan-web"


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def container(
    docker_host: str, docker_cleanup: docker.DockerClient, busybox_image: str
) -> docker.models.containers.Container:
    return docker_cleanup.containers.run(
        busybox_image,
        ["sleep", "300"],
        name=NAME,
        detach=True,
        network_mode="none",
        labels=TEST_LABELS,
    )


def _env(model: FakeOpenAI, docker_host: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": model.api_key,
        "OPENAI_BASE_URL": model.base_url,
        "OPSBOT_LLM_TIMEOUT_SECONDS": "20",
        "DOCKER_HOST": docker_host,
    }


def _diagnosis(model: FakeOpenAI) -> None:
    model.script(
        calls(call("lookup_inspect_container", container=NAME, host=None)),
        calls(call("answer", text="It looks fine [E1].", evidence=["E1"])),
    )


def test_reads_the_planner_wants_are_shown_not_run(
    model: FakeOpenAI, docker_host: str, container: docker.models.containers.Container
) -> None:
    _diagnosis(model)
    result = run(
        "plan",
        "--as",
        "alice",
        f"why is the {NAME} container failing?",
        env=_env(model, docker_host),
    )

    assert result.returncode == 0, result.stderr
    assert f"would look up: inspect_container(host=default, container={NAME})" in result.stdout
    assert "It looks fine" in result.stdout
    sent = model.requests[1]["messages"][-1]["content"]
    assert "not run: this is a preview" in sent
    assert "busybox" not in sent  # nothing was read from the container


def test_with_lookups_the_reads_run_as_the_requester(
    model: FakeOpenAI, docker_host: str, container: docker.models.containers.Container
) -> None:
    _diagnosis(model)
    result = run(
        "plan",
        "--as",
        "alice",
        "--lookups",
        "--json",
        f"why is the {NAME} container failing?",
        env=_env(model, docker_host),
    )

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["reply"] == "answer"
    assert body["looked_up"] == [f"inspect_container(host=default, container={NAME})"]
    sent = model.requests[1]["messages"][-1]["content"]
    assert "not run" not in sent and "busybox" in sent  # the real container, read for alice


def test_a_change_in_plain_language_is_planned_and_decided_never_run(
    model: FakeOpenAI, docker_host: str, container: docker.models.containers.Container
) -> None:
    model.script(calls(call("stop_container", container=NAME, host=None, timeout_seconds=None)))
    result = run(
        "plan", "--as", "alice", f"stop the {NAME} container", env=_env(model, docker_host)
    )

    assert result.returncode == 0, result.stderr
    step = f"[write] stop_container(host=default, container={NAME}, timeout_seconds=10)"
    assert step in result.stdout
    assert "Decision for alice: needs_approval" in result.stdout
    container.reload()
    assert container.status == "running"  # a preview: nothing executed


def test_without_a_planner_plain_language_is_refused_with_a_hint() -> None:
    result = run("plan", "please make the web thing faster")

    assert result.returncode == 2
    assert "plain language when a planner is configured (OPENAI_API_KEY)" in result.stderr
