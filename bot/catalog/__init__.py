"""The typed operation catalog: each operation declared once, everything else derived."""

from bot.catalog.base import BackendKind, Operation, RbacNeed, Risk
from bot.catalog.registry import (
    OPERATION_TYPES,
    OPERATIONS,
    AnyOperation,
    parameter_schema,
    parse_operation,
    rbac_needs,
)

__all__ = [
    "OPERATIONS",
    "OPERATION_TYPES",
    "AnyOperation",
    "BackendKind",
    "Operation",
    "RbacNeed",
    "Risk",
    "parameter_schema",
    "parse_operation",
    "rbac_needs",
]
