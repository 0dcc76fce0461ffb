"""The base of the operation catalog: every operation is one pydantic model with metadata.

Everything else (LLM tool schemas, command help, policy input, previews, executor dispatch,
RBAC in the Helm chart, undo) is derived from these declarations, never written twice.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict


class Risk(StrEnum):
    """Risk tier of an operation. Policy actions may name a tier instead of a kind."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class BackendKind(StrEnum):
    KUBERNETES = "kubernetes"
    DOCKER = "docker"
    HOST = "host"


class RbacNeed(BaseModel):
    """One Kubernetes RBAC rule an operation needs; the Helm chart's Role is built from these."""

    model_config = ConfigDict(frozen=True)

    api_group: str
    resource: str
    verbs: tuple[str, ...]


_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_CONTAINER_REF = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")
_SELECTOR = re.compile(r"^[A-Za-z0-9_./=!,() -]{1,256}$")
_CONTEXT = re.compile(r"^[A-Za-z0-9_.@:/-]{1,128}$")


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(validate)


K8sName = Annotated[str, _check(_DNS1123_SUBDOMAIN, "Kubernetes object name (DNS-1123)")]
Namespace = Annotated[str, _check(_DNS1123_LABEL, "namespace name (DNS-1123 label)")]
ContainerRef = Annotated[str, _check(_CONTAINER_REF, "container name or id")]
LabelSelector = Annotated[str, _check(_SELECTOR, "label selector")]
ContextName = Annotated[str, _check(_CONTEXT, "context or host name")]


class Operation(BaseModel):
    """One catalog operation. Subclasses declare `operation: Literal[kind]` and the metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    backend: ClassVar[BackendKind]
    risk: ClassVar[Risk]
    resource: ClassVar[str]
    summary: ClassVar[str]
    rbac: ClassVar[tuple[RbacNeed, ...]] = ()
    reversible: ClassVar[bool] = False

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        """The operation that undoes this one, given the state captured before it ran."""
        return None

    @property
    def target_name(self) -> str | None:
        """The name of the single object acted on, if any."""
        return getattr(self, "name", None) or getattr(self, "container", None)

    @property
    def named_resource(self) -> str:
        """The object type `name` names, checked live by grounding ("deployments/scale" ->
        deployments)."""
        return self.resource.split("/")[0]

    @property
    def scope_namespace(self) -> str | None:
        return getattr(self, "namespace", None)

    @property
    def scope_context(self) -> str | None:
        return getattr(self, "context", None)

    @property
    def scope_host(self) -> str | None:
        return getattr(self, "host", None)

    def params(self) -> dict[str, Any]:
        """Parameters without the discriminator, for display, policy input and audit."""
        return self.model_dump(exclude={"operation"}, exclude_none=True)

    def describe(self) -> str:
        """A one-line, human-readable statement of what this step does."""
        args = ", ".join(f"{k}={v}" for k, v in self.params().items())
        return f"{self.kind}({args})"
