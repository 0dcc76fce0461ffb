"""The health report as a catalog operation, so it is planned, policed and audited like any read."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bot.catalog.base import BackendKind, ContextName, Namespace, Operation, RbacNeed, Risk


class HealthReport(Operation):
    kind: ClassVar[str] = "health_report"
    backend: ClassVar[BackendKind] = BackendKind.HOST
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "health"
    summary: ClassVar[str] = "Health report: cluster, Docker hosts and the bot's own host"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="", resource="nodes", verbs=("get", "list")),
        RbacNeed(api_group="", resource="pods", verbs=("get", "list")),
        RbacNeed(api_group="apps", resource="deployments", verbs=("get", "list")),
        RbacNeed(api_group="", resource="events", verbs=("get", "list")),
    )

    operation: Literal["health_report"] = "health_report"
    context: ContextName | None = Field(default=None, description="kubeconfig context")
    namespace: Namespace | None = Field(default=None, description="one namespace; omit for all")
    host: ContextName | None = Field(default=None, description="one Docker host; omit for all")

    @property
    def scope_namespace(self) -> str | None:
        return self.namespace or "*"
