"""Every name in a proposed plan is checked against the inventory before a plan is returned."""

from __future__ import annotations

import pytest

from bot.catalog import parse_operation
from bot.planning.base import Abstain, Clarify, Proposed
from bot.planning.grounding import check_plan, did_you_mean
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask, expect


def test_unknown_deployment_gets_did_you_mean_and_no_plan(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("scale_deployment", name="wbe", namespace="prod", replicas=3, context=None))
    )
    outcome = ask(make_planner(), "scale wbe to 3 in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert expect(Clarify, outcome).question == "no deployment 'wbe' in prod; did you mean 'web'?"
    assert outcome.rejected_names == ["wbe"]


def test_unknown_name_without_a_close_match_lists_what_exists(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("restart_deployment", name="frontend", namespace="prod", context=None))
    )
    outcome = ask(make_planner(), "restart frontend in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, Clarify), outcome
    assert "no deployment 'frontend' in prod" in outcome.question
    assert "api, web, worker" in outcome.question  # lists what exists when nothing is close


def test_unknown_namespace_and_pod_prefix_suggestions(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(
            call(
                "list_pods",
                namespace="prdo",
                all_namespaces=None,
                label_selector=None,
                context=None,
            )
        ),
        calls(
            call(
                "pod_logs",
                name="api",
                namespace="staging",
                container=None,
                tail_lines=None,
                since_seconds=None,
                previous=None,
                context=None,
            )
        ),
    )
    planner = make_planner()
    first = ask(planner, "pods in prdo", seeded_inventory)
    second = ask(planner, "logs of api in staging", seeded_inventory)

    assert (
        not isinstance(first, Proposed)
        and expect(Clarify, first).question == "no namespace 'prdo'; did you mean 'prod'?"
    )
    assert not isinstance(second, Proposed)
    assert (
        expect(Clarify, second).question
        == "no pod 'api' in staging; did you mean 'api-6c7d-uvwxy'?"
    )


def test_docker_container_names_are_grounded_too(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("stop_container", container="redis-cahce", host=None, timeout_seconds=None))
    )
    outcome = ask(make_planner(), "stop redis-cahce", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert (
        expect(Clarify, outcome).question
        == "no container 'redis-cahce'; did you mean 'redis-cache'?"
    )


def test_one_bad_name_blocks_the_whole_plan(seeded_inventory: StaticInventory) -> None:
    steps = [
        parse_operation({"operation": "describe_deployment", "namespace": "prod", "name": "web"}),
        parse_operation({"operation": "delete_pod", "namespace": "prod", "name": "web-7f9c-zzzzz"}),
    ]
    report = check_plan(steps, inventory=seeded_inventory, allowed_namespaces=["*"])
    assert not report.ok
    assert report.rejected_names == ["web-7f9c-zzzzz"]
    assert "did you mean" in report.problems[0]


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("wbe", ["web", "api"], ["web"]),
        ("api", ["api-6c7d-uvwxy", "worker"], ["api-6c7d-uvwxy"]),
        ("zzz", ["web", "api"], []),
    ],
)
def test_did_you_mean(name: str, candidates: list[str], expected: list[str]) -> None:
    assert did_you_mean(name, candidates) == expected


class _BrokenInventory:
    def namespaces(self) -> list[str]:
        raise ConnectionError("apiserver unreachable")

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        raise ConnectionError("apiserver unreachable")


def test_inventory_failure_fails_closed(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory
) -> None:
    openai_fake.script(
        calls(call("restart_deployment", name="web", namespace="prod", context=None))
    )
    outcome = ask(make_planner(), "restart web in prod", _BrokenInventory())

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, Abstain), outcome
    assert "could not check names" in outcome.reason
    assert "apiserver unreachable" in outcome.reason
    assert "inventory unavailable" in openai_fake.requests[0]["messages"][1]["content"]


def test_outside_the_requesters_scope_is_an_abstention(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(
        calls(call("restart_deployment", name="web", namespace="prod", context=None))
    )
    outcome = ask(
        make_planner(), "restart web in prod", seeded_inventory, allowed_namespaces=["staging"]
    )

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, Abstain), outcome
    assert "outside your scope" in outcome.reason
    data = openai_fake.requests[0]["messages"][1]["content"]
    assert "may act in these namespaces: staging." in data
    assert "deployments in prod" not in data  # inventory outside the scope is not shown


def test_contexts_and_docker_hosts_are_checked_when_the_inventory_lists_them() -> None:
    inventory = StaticInventory(
        deployments={"prod": ["web"]}, contexts=["prod-eu", "prod-us"], docker_hosts=["default"]
    )
    steps = [
        parse_operation(
            {
                "operation": "describe_deployment",
                "namespace": "prod",
                "name": "web",
                "context": "prod-ue",
            }
        ),
        parse_operation({"operation": "list_containers", "host": "edge-1"}),
    ]
    report = check_plan(steps, inventory=inventory, allowed_namespaces=["*"])
    assert report.problems == [
        "no context 'prod-ue'; did you mean 'prod-eu' or 'prod-us'?",
        "no Docker host 'edge-1'; existing Docker hosts: default",
    ]
    unchecked = StaticInventory(deployments={"prod": ["web"]})
    assert check_plan(steps, inventory=unchecked, allowed_namespaces=["*"]).ok
