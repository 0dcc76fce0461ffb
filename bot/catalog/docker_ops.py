"""Docker operations of the catalog (containers on configured Docker hosts)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from bot.catalog.base import BackendKind, ContainerRef, ContextName, Operation, Risk


class DockerOperation(Operation):
    backend: ClassVar[BackendKind] = BackendKind.DOCKER
    resource: ClassVar[str] = "containers"

    host: ContextName = Field(default="default", description="configured Docker host alias")


class ListContainers(DockerOperation):
    kind: ClassVar[str] = "list_containers"
    risk: ClassVar[Risk] = Risk.READ
    summary: ClassVar[str] = "List containers with state, image and status"

    operation: Literal["list_containers"] = "list_containers"
    all: bool = Field(default=False, description="include stopped containers")


class InspectContainer(DockerOperation):
    kind: ClassVar[str] = "inspect_container"
    risk: ClassVar[Risk] = Risk.READ
    summary: ClassVar[str] = "Show one container: state, image, restart count, health"

    operation: Literal["inspect_container"] = "inspect_container"
    container: ContainerRef = Field(description="container name or id")


class ContainerLogs(DockerOperation):
    kind: ClassVar[str] = "container_logs"
    risk: ClassVar[Risk] = Risk.READ
    summary: ClassVar[str] = "Show the last lines of a container's log"

    operation: Literal["container_logs"] = "container_logs"
    container: ContainerRef = Field(description="container name or id")
    tail_lines: int = Field(default=100, ge=1, le=5000, description="lines from the end")
    since_seconds: int | None = Field(default=None, ge=1, le=7 * 86400, description="max age")


class StartContainer(DockerOperation):
    kind: ClassVar[str] = "start_container"
    risk: ClassVar[Risk] = Risk.WRITE
    summary: ClassVar[str] = "Start a stopped container"
    reversible: ClassVar[bool] = True

    operation: Literal["start_container"] = "start_container"
    container: ContainerRef = Field(description="container name or id")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        if before.get("running") is True:
            return None
        return StopContainer(host=self.host, container=self.container)


class StopContainer(DockerOperation):
    kind: ClassVar[str] = "stop_container"
    risk: ClassVar[Risk] = Risk.WRITE
    summary: ClassVar[str] = "Stop a running container"
    reversible: ClassVar[bool] = True

    operation: Literal["stop_container"] = "stop_container"
    container: ContainerRef = Field(description="container name or id")
    timeout_seconds: int = Field(default=10, ge=0, le=300, description="grace before SIGKILL")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        if before.get("running") is False:
            return None
        return StartContainer(host=self.host, container=self.container)


class RestartContainer(DockerOperation):
    kind: ClassVar[str] = "restart_container"
    risk: ClassVar[Risk] = Risk.WRITE
    summary: ClassVar[str] = "Restart a container"

    operation: Literal["restart_container"] = "restart_container"
    container: ContainerRef = Field(description="container name or id")
    timeout_seconds: int = Field(default=10, ge=0, le=300, description="grace before SIGKILL")
