"""What a report looks at (scope) and when something counts as a problem (thresholds)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_seconds(value: object) -> object:
    """`90`, `"90s"`, `"15m"`, `"2h"`, `"1d"` -> seconds; anything else is left to pydantic."""
    if isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 15m, 2h or 1d")
        return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    return value


Seconds = Annotated[float, BeforeValidator(parse_seconds), Field(ge=0)]


class ReportScope(BaseModel):
    """Empty lists mean "all": the default context, every namespace, every Docker host."""

    model_config = ConfigDict(extra="forbid")

    kubernetes: bool = True
    contexts: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    docker: bool = True
    docker_hosts: list[str] = Field(default_factory=list)
    host: bool = Field(default=True, description="the bot's own host (CPU, memory, disk, load)")

    def label(self) -> str:
        parts: list[str] = []
        if self.kubernetes:
            ctx = ", ".join(self.contexts) or "default context"
            ns = ", ".join(self.namespaces) or "all namespaces"
            parts.append(f"Kubernetes {ctx} ({ns})")
        if self.docker:
            parts.append("Docker " + (", ".join(self.docker_hosts) or "all hosts"))
        if self.host:
            parts.append("bot host")
        return "; ".join(parts) or "nothing"

    def key(self) -> str:
        """Stable identity of the scope (for the trend's previous report)."""
        return self.model_dump_json()


class Thresholds(BaseModel):
    """When something counts as a problem. Set in the reports YAML under `thresholds:`."""

    model_config = ConfigDict(extra="forbid")

    pending_after: Seconds = Field(default=600, description="pods Pending longer than this")
    restart_count: int = Field(default=5, ge=1, description="restarts over the period")
    period: Seconds = Field(default=86400, description="window for restarts")
    event_window: Seconds = Field(default=3600, description="Warning events newer than this")
    event_warning_count: int = Field(
        default=10, ge=1, description="a Warning event group with this many events is a warning"
    )
    cpu_percent: float = Field(default=90, ge=0, le=100)
    memory_percent: float = Field(default=90, ge=0, le=100)
    disk_percent: float = Field(default=90, ge=0, le=100)
    disk_paths: list[str] = Field(default_factory=lambda: ["/"])
    load_per_cpu: float = Field(default=2.0, ge=0, description="1-minute load / CPU count")
    max_findings_per_kind: int = Field(
        default=25, ge=1, le=10_000, description="more are counted, not listed"
    )
    page_size: int = Field(default=500, ge=10, le=5000, description="list page size (limit)")
