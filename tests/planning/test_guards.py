"""The write guard reads the user's own words: questions and planted text never authorise writes."""

from __future__ import annotations

import pytest

from bot.catalog import parse_operation
from bot.planning.guards import asks_for, guard_writes, names_target
from bot.planning.static_inventory import StaticInventory


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("scale_deployment", "web is slow in prod, give it two more replicas", True),
        ("scale_deployment", "scale web to 5", True),
        ("scale_deployment", "set replicas to 4 for api", True),
        ("scale_deployment", "why does web have 0 replicas?", False),
        ("restart_deployment", "please bounce checkout", True),
        ("restart_deployment", "why does api keep restarting in staging?", False),
        ("rollback_deployment", "revert ledger to the previous version", True),
        ("delete_pod", "kill the stuck pod web-1", True),
        ("delete_pod", "why was my pod deleted?", False),
        ("stop_container", "stop nginx-edge", True),
        ("start_container", "is batch-runner started?", False),
        ("restart_container", "show redis-cache logs", False),
    ],
)
def test_asks_for(kind: str, text: str, expected: bool) -> None:
    assert asks_for(kind, text) is expected


def test_names_target_accepts_the_pods_of_a_named_deployment() -> None:
    assert names_target("web", "restart web in prod")
    assert names_target("web-7f9c-abcde", "delete the broken web pod")
    assert not names_target("worker", "restart web in prod")
    assert not names_target("web", "restart webapp")
    assert names_target("web-0", "restart web")
    assert not names_target("web-canary-1a2b-zzzzz", "restart web")  # another workload


def test_guard_keeps_reads_and_requested_writes_only() -> None:
    inventory = StaticInventory(deployments={"prod": ["web", "api"], "staging": ["api"]})
    steps = [
        parse_operation({"operation": "describe_deployment", "namespace": "prod", "name": "api"}),
        parse_operation({"operation": "restart_deployment", "namespace": "prod", "name": "web"}),
        parse_operation({"operation": "restart_deployment", "namespace": "prod", "name": "api"}),
        parse_operation(
            {"operation": "scale_deployment", "namespace": "prod", "name": "web", "replicas": 0}
        ),
    ]
    result = guard_writes(steps, text="restart web, it is slow", inventory=inventory)

    assert [(op.kind, op.target_name) for op in result.kept] == [
        ("describe_deployment", "api"),
        ("restart_deployment", "web"),  # web lives only in prod, so no namespace was needed
    ]
    assert [op.kind for op in result.blocked_ops] == ["restart_deployment", "scale_deployment"]
    assert "did not name 'api'" in result.blocked[0]
    assert "did not ask for this change" in result.blocked[1]


def test_guard_needs_the_namespace_when_the_name_is_ambiguous() -> None:
    inventory = StaticInventory(deployments={"prod": ["api"], "staging": ["api"]})
    op = parse_operation({"operation": "restart_deployment", "namespace": "prod", "name": "api"})
    assert guard_writes([op], text="restart api", inventory=inventory).kept == []
    assert guard_writes([op], text="restart api in prod", inventory=inventory).kept == [op]


def test_value_fields_come_from_the_catalog_declaration() -> None:
    from bot.catalog import OPERATIONS, Risk
    from bot.planning.guards import value_fields

    assert [f for f, *_ in value_fields("scale_deployment")] == ["replicas"]
    assert [f for f, *_ in value_fields("rollback_deployment")] == ["to_revision"]
    assert [f for f, *_ in value_fields("delete_pod")] == ["grace_period_seconds"]
    for kind, op in OPERATIONS.items():  # names, namespaces, contexts, hosts are never values
        fields = {f for f, *_ in value_fields(kind)}
        assert not fields & {"name", "container", "namespace", "context", "host", "operation"}
        if op.risk != Risk.READ:  # and every change can be asked for in words
            command_verb = kind.split("_")[0]
            assert asks_for(kind, f"please {command_verb} it"), kind


@pytest.mark.parametrize(
    ("text", "numbers", "named", "negated"),
    [
        ("scale web-2 to 3, not 30", {3}, {"web-2"}, {"30"}),
        ("set worker to three replicas in staging", {3}, {"worker", "staging"}, set()),
        ("restart leaky in rt-other, not like rt-secrets", set(), {"rt-other"}, {"rt-secrets"}),
        ("restart api everywhere except prod", set(), {"api"}, {"prod"}),
        ("scale web to 1,000", {1000}, {"web"}, set()),
    ],
)
def test_wording_reads_numbers_names_and_negations(
    text: str, numbers: set[int], named: set[str], negated: set[str]
) -> None:
    from bot.planning.wording import Wording

    wording = Wording.of(text)
    assert wording.numbers == numbers
    assert all(wording.names(n) for n in named)
    assert all(wording.negates(n) and not wording.names(n) for n in negated)
