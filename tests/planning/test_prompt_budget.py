"""The prompt stays within a fixed budget however large the cluster is."""

from __future__ import annotations

import json

from bot.planning.base import Proposed
from bot.planning.prompt import INVENTORY_BUDGET_CHARS, compact_inventory
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import FakeOpenAI, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask


def _huge_inventory() -> StaticInventory:
    """100 namespaces x 100 deployments, one pod each, and 1,000 containers: 21,000 names."""
    deployments = {f"ns-{i}": [f"svc-{i}-{j}" for j in range(100)] for i in range(100)}
    pods = {ns: [f"{d}-7f9c4-abcde" for d in names] for ns, names in deployments.items()}
    return StaticInventory(
        deployments=deployments, pods=pods, containers=[f"box-{i}" for i in range(1000)]
    )


def _sent_chars(fake: FakeOpenAI) -> int:
    return len(json.dumps(fake.requests[-1]["messages"]))


def test_prompt_size_is_bounded_with_a_huge_inventory(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    restart = calls(call("restart_deployment", name="svc-42-7", namespace="ns-42", context=None))
    openai_fake.script(restart, restart)
    planner = make_planner()
    request = "restart svc-42-7 in ns-42"

    ask(planner, request, seeded_inventory)
    small = _sent_chars(openai_fake)
    outcome = ask(planner, request, _huge_inventory())
    large = _sent_chars(openai_fake)

    assert large - small <= INVENTORY_BUDGET_CHARS + 200  # 21,000 names cost at most the budget
    system = openai_fake.requests[-1]["messages"][1]["content"]
    assert "deployments in ns-42: svc-42-7," in system  # the relevant names are kept
    assert "(+40 more)" in system  # namespaces beyond the cap are counted, not listed
    assert isinstance(outcome, Proposed)  # and grounding still checks against the full inventory


def test_inventory_view_prefers_names_from_the_request() -> None:
    view = compact_inventory(
        _huge_inventory(), text="why is svc-7-3 slow in ns-7", allowed_namespaces=["*"]
    )
    assert len(view) <= INVENTORY_BUDGET_CHARS
    lines = view.splitlines()
    assert lines[1].startswith("namespaces: ns-7,")
    assert lines[2].startswith("deployments in ns-7: svc-7-3")
    assert lines[3] == "pods in ns-7: svc-7-3-7f9c4-abcde"


def test_typo_still_shows_the_real_name() -> None:
    view = compact_inventory(
        StaticInventory(deployments={"prod": ["web", "api", "checkout"]}),
        text="restart chekout in prod",
        allowed_namespaces=["*"],
    )
    assert "deployments in prod: checkout" in view
    assert "api" not in view
