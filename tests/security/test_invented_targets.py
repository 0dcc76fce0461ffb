"""Attack class: a model-named kube context or Docker host that does not exist is used.

The user's words allow a context/host (the guard passes names the user said), but a name that
exists nowhere must still never be run, for plan steps and diagnosis lookups (reads) alike:
the live inventory knows the kubeconfig contexts and the configured Docker hosts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backends.base import Backend
from bot.backends.docker_backend import DockerBackend
from bot.backends.kubernetes import KubernetesBackend
from bot.catalog import BackendKind, Operation, parse_operation
from bot.config import Settings
from bot.live_inventory import BackendInventory, CachedInventory
from bot.planning.base import Proposed
from bot.planning.grounding import check_plan
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts:
  - {name: prod-cluster, context: {cluster: c, user: u}}
  - {name: staging-cluster, context: {cluster: c, user: u}}
current-context: prod-cluster
"""


@pytest.fixture
def live_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CachedInventory:
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(config))
    settings = Settings(docker_hosts={"edge": "tcp://127.0.0.1:9"})
    backends: dict[BackendKind, Backend] = {
        BackendKind.KUBERNETES: KubernetesBackend(settings=settings),
        BackendKind.DOCKER: DockerBackend(settings=settings),
    }
    return CachedInventory(BackendInventory(backends, settings=settings))


def test_live_inventory_lists_contexts_and_hosts(live_inventory: CachedInventory) -> None:
    assert live_inventory.contexts() == ["prod-cluster", "staging-cluster"]
    assert live_inventory.docker_hosts() == ["default", "edge"]


@pytest.mark.parametrize(
    "step",
    [
        {"operation": "list_pods", "namespace": "prod", "context": "eu-west-9"},
        {"operation": "restart_container", "container": "nginx", "host": "edge-box-7"},
    ],
)
def test_an_unknown_context_or_host_never_grounds(
    step: dict[str, object], live_inventory: CachedInventory
) -> None:
    op: Operation = parse_operation(step)
    report = check_plan([op], inventory=live_inventory, allowed_namespaces=["*"])
    assert not report.ok
    assert set(report.rejected_names) & {"eu-west-9", "edge-box-7"}


def test_a_lookup_in_an_invented_context_is_never_run(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory
) -> None:
    inventory = StaticInventory(
        deployments={"prod": ["web"]}, contexts=["prod-cluster"], docker_hosts=["default"]
    )
    ran: list[Operation] = []
    openai_fake.script(
        calls(
            call("lookup_describe_deployment", name="web", namespace="prod", context="eu-west-9")
        ),
        calls(call("abstain", reason="no data")),
    )
    outcome = ask(
        make_planner(),
        "why is web slow in prod on context eu-west-9",
        CachedInventory(inventory),
        lookup=lambda op: ran.append(op) or "data",
    )

    assert ran == []  # the read never ran
    assert not isinstance(outcome, Proposed)
    refusal = openai_fake.requests[1]["messages"][-1]["content"]
    assert "not run" in refusal and "eu-west-9" in refusal
