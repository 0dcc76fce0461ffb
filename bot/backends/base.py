"""The contract every backend (Kubernetes, Docker, host) fulfils.

Backends never raise into the orchestration: they return a structured `Result` with the exact
call made, so chat can show what failed and what to try. Transient failures are retried inside
the backend with backoff; `ErrorKind` says what kind of failure remained.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.catalog import Operation
from bot.models import Principal


class Status(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    NO_DATA = "no_data"


class ErrorKind(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"
    TEMPORARY = "temporary"  # still failing after retries: 5xx, 429, timeouts, connection errors
    NOT_CONFIGURED = "not_configured"
    INTERNAL = "internal"


class Result(BaseModel):
    """Outcome of one operation against a backend."""

    status: Status
    call: str = Field(description="the exact API call made, e.g. PATCH apps/v1 .../scale")
    data: Any = None
    text: str | None = Field(default=None, description="human-readable rendering (tables, logs)")
    error: str | None = None
    error_kind: ErrorKind | None = None
    hint: str | None = Field(default=None, description="what the user can try next")
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    truncated: bool = False
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != Status.ERROR


class Preview(BaseModel):
    """What a write would change: current vs desired state and the server-side dry-run result."""

    current: dict[str, Any] = Field(default_factory=dict)
    desired: dict[str, Any] = Field(default_factory=dict)
    dry_run: Result | None = None
    note: str | None = None


class Backend(Protocol):
    """Implemented by KubernetesBackend, DockerBackend and HostBackend."""

    name: str

    def execute(self, op: Operation, *, actor: Principal | None = None) -> Result:
        """Run the operation for real (as `actor` where the backend impersonates)."""
        ...

    def preview(self, op: Operation, *, actor: Principal | None = None) -> Preview:
        """Current vs desired state, with a server-side dry run for writes where possible."""
        ...

    def check(self) -> str | None:
        """None when reachable; otherwise a one-line reason (for /readyz and the console)."""
        ...

    def known_names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        """Live object names of a resource kind, for grounding and did-you-mean suggestions."""
        ...
