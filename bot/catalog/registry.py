"""The catalog registry: the one list of operations and what is derived from it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, TypeAdapter

from bot.catalog.base import Operation, RbacNeed
from bot.catalog.docker_ops import (
    ContainerLogs,
    InspectContainer,
    ListContainers,
    RestartContainer,
    StartContainer,
    StopContainer,
)
from bot.catalog.health_ops import HealthReport
from bot.catalog.jobs_nodes_ops import JOBS_NODES_OPERATIONS
from bot.catalog.kubernetes_ops import (
    DeletePod,
    DescribeDeployment,
    DescribePod,
    ListDeployments,
    ListEvents,
    ListPods,
    PodLogs,
    RestartDeployment,
    RollbackDeployment,
    ScaleDeployment,
)
from bot.catalog.reads_ops import READS_OPERATIONS
from bot.catalog.workload_ops import WORKLOAD_OPERATIONS

OPERATION_TYPES: tuple[type[Operation], ...] = (
    ListPods,
    DescribePod,
    PodLogs,
    ListEvents,
    ListDeployments,
    DescribeDeployment,
    ScaleDeployment,
    RestartDeployment,
    RollbackDeployment,
    DeletePod,
    *JOBS_NODES_OPERATIONS,
    ListContainers,
    InspectContainer,
    ContainerLogs,
    StartContainer,
    StopContainer,
    RestartContainer,
    HealthReport,
    *READS_OPERATIONS,
    *WORKLOAD_OPERATIONS,
)

OPERATIONS: dict[str, type[Operation]] = {op.kind: op for op in OPERATION_TYPES}

if TYPE_CHECKING:
    AnyOperation = Operation
else:
    # The discriminated union of every catalog operation, derived from the one list above.
    AnyOperation = Annotated[Union[OPERATION_TYPES], Field(discriminator="operation")]  # noqa: UP007

_ADAPTER: TypeAdapter[Operation] = TypeAdapter(AnyOperation)


def parse_operation(data: dict[str, Any]) -> Operation:
    """Validate a dict (with an `operation` key naming the kind) into a catalog operation."""
    return _ADAPTER.validate_python(data)


def parameter_schema(kind: str) -> dict[str, Any]:
    """JSON schema of one operation's parameters (without the discriminator)."""
    schema = OPERATIONS[kind].model_json_schema()
    schema["properties"].pop("operation", None)
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r != "operation"]
    return schema


def rbac_needs(kinds: list[str] | None = None) -> list[RbacNeed]:
    """The union of RBAC rules the given (default: all Kubernetes-facing) operations need."""
    chosen = kinds if kinds is not None else list(OPERATIONS)
    return merge_rbac_needs(need for kind in chosen for need in OPERATIONS[kind].rbac)


def merge_rbac_needs(needs: Iterable[RbacNeed]) -> list[RbacNeed]:
    """One rule per (API group, resource) with the union of the verbs, in a stable order."""
    merged: dict[tuple[str, str], set[str]] = {}
    for need in needs:
        merged.setdefault((need.api_group, need.resource), set()).update(need.verbs)
    return [
        RbacNeed(api_group=group, resource=resource, verbs=tuple(sorted(verbs)))
        for (group, resource), verbs in sorted(merged.items())
    ]
