"""Invariant 5 for every catalog operation: a name the model proposes is checked against the
live objects of the resource that operation acts on (derived from the catalog's `resource`),
never only for a hand-kept list of kinds. An operation added to the catalog is grounded too."""

from __future__ import annotations

from typing import Any

import pytest

from bot.catalog import OPERATION_TYPES, BackendKind, Operation, parse_operation
from bot.planning.grounding import check_operation


class OneObjectPerResource:
    """Inventory with namespace prod holding one object, `real`, of every resource asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def namespaces(self) -> list[str]:
        return ["prod"]

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        self.asked.append(resource)
        return ["real"]


def _named_kubernetes_kinds() -> list[type[Operation]]:
    return [
        t
        for t in OPERATION_TYPES
        if t.backend == BackendKind.KUBERNETES and "name" in t.model_fields
    ]


def _step(op_type: type[Operation], name: str) -> Operation:
    data: dict[str, Any] = {"operation": op_type.kind, "namespace": "prod", "name": name}
    for field, info in op_type.model_fields.items():
        if info.is_required() and field not in data:
            data[field] = 1
    return parse_operation(data)


@pytest.mark.parametrize("op_type", _named_kubernetes_kinds(), ids=lambda t: t.kind)
def test_an_invented_name_is_rejected(op_type: type[Operation]) -> None:
    inventory = OneObjectPerResource()
    report = check_operation(_step(op_type, "ghost"), inventory=inventory, allowed_namespaces=["*"])
    assert report.rejected_names == ["ghost"], f"{op_type.kind} was not grounded"
    assert op_type.resource.split("/")[0] in inventory.asked


@pytest.mark.parametrize("op_type", _named_kubernetes_kinds(), ids=lambda t: t.kind)
def test_an_existing_name_passes(op_type: type[Operation]) -> None:
    report = check_operation(
        _step(op_type, "real"), inventory=OneObjectPerResource(), allowed_namespaces=["*"]
    )
    assert report.problems == []
