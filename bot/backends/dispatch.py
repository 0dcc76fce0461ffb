"""One dispatch per backend: the handler of each catalog operation, declared once.

A backend lists `handler(OpType, execute, preview)` entries; `Dispatch` checks them against the
catalog when it is built (at import or construction, so at start-up and in every test): each
operation of the backend has exactly one handler, no handler is for another backend's operation,
and writes (only writes) have a preview. A catalog operation without a handler fails there, not
when a user first asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.backends.base import Preview, Result
from bot.catalog import OPERATION_TYPES, BackendKind, Operation, Risk


class DispatchError(Exception):
    """A backend's handlers do not match the catalog (a bug, found at start-up)."""


@dataclass(frozen=True)
class Handler[C]:
    """How a backend runs one operation type: `execute`, and `preview` for writes.

    `C` is what a handler gets besides the operation (a KubeSession, the backend itself).
    """

    op_type: type[Operation]
    execute: Callable[[C, Any], Result]
    preview: Callable[[C, Any], Preview] | None = None


def handler[C, Op: Operation](
    op_type: type[Op],
    execute: Callable[[C, Op], Result],
    preview: Callable[[C, Op], Preview] | None = None,
) -> Handler[C]:
    """A handler entry; mypy checks that `execute` and `preview` take an `op_type`."""
    return Handler(op_type, execute, preview)


class Dispatch[C]:
    """Operation type -> its handler, for the catalog operations of one backend."""

    def __init__(self, backend: BackendKind, handlers: Iterable[Handler[C]]) -> None:
        table: dict[type[Operation], Handler[C]] = {}
        for entry in handlers:
            kind = entry.op_type.kind
            if entry.op_type in table:
                raise DispatchError(f"the {backend} backend has two handlers for {kind}")
            if entry.op_type not in OPERATION_TYPES or entry.op_type.backend != backend:
                raise DispatchError(f"{kind} is not a catalog operation of the {backend} backend")
            if (entry.preview is not None) != (entry.op_type.risk != Risk.READ):
                raise DispatchError(
                    f"{kind}: a write needs a preview handler and a read has none "
                    f"(the {backend} backend gives {kind} "
                    f"{'a' if entry.preview else 'no'} preview)"
                )
            table[entry.op_type] = entry
        missing = [t.kind for t in OPERATION_TYPES if t.backend == backend and t not in table]
        if missing:
            raise DispatchError(f"the {backend} backend has no handler for {', '.join(missing)}")
        self.backend = backend
        self._table = table

    def handler_for(self, op: Operation) -> Handler[C] | None:
        """The handler of `op`'s type; None for an operation this backend does not run."""
        return self._table.get(type(op))

    def kinds(self) -> list[str]:
        """The operation kinds handled, in catalog order."""
        return [t.kind for t in OPERATION_TYPES if t in self._table]
