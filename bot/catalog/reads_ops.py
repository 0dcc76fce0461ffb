"""Day-2 reads: Services, Ingresses, ConfigMaps, namespaces, PVCs, a generic discovery-based
`get KIND`, and Docker stats/top.

Secrets are never readable: `GetResource` refuses every spelling of them here, and the backend
refuses any discovered resource named `secrets` or of kind `Secret` (aliases, other groups).
ConfigMap values are a separate action (`read_configmap_values`) so policy decides who sees
them; they are redacted on the way out either way.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from bot.catalog.base import ContainerRef, K8sName, Operation, RbacNeed, Risk
from bot.catalog.docker_ops import DockerOperation
from bot.catalog.kubernetes_ops import KubernetesOperation, _AllNamespaces

_SERVICES_READ = RbacNeed(api_group="", resource="services", verbs=("get", "list"))
_ENDPOINTS_READ = RbacNeed(api_group="", resource="endpoints", verbs=("get", "list"))
_CONFIGMAPS_READ = RbacNeed(api_group="", resource="configmaps", verbs=("get", "list"))

SECRET_WORDS: frozenset[str] = frozenset({"secret", "secrets"})
"""Resource words that name Secrets in any group (`secrets`, `secret.v1.`, `secrets.foo.io`)."""

_RESOURCE_TYPE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def names_secrets(resource_type: str) -> bool:
    """Whether a resource word (`secrets`, `Secret`, `secrets.v1.`, `secret.example.io`) names
    Secrets: its first dot-separated part is secret(s), whatever group follows."""
    return resource_type.lower().split(".", 1)[0] in SECRET_WORDS


def _resource_type(value: str) -> str:
    word = value.strip().lower()
    if names_secrets(word):
        raise ValueError("Secrets are never readable through the bot, whatever the policy says")
    if not _RESOURCE_TYPE.fullmatch(word):
        raise ValueError(
            f"{value!r} is not a resource type (write it like kubectl: pods, cm, "
            "certificates.cert-manager.io)"
        )
    return word


ResourceType = Annotated[str, AfterValidator(_resource_type)]


class ListServices(_AllNamespaces):
    kind: ClassVar[str] = "list_services"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "services"
    summary: ClassVar[str] = "List services: type, cluster IP, ports, endpoints ready/not ready"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_SERVICES_READ, _ENDPOINTS_READ)

    operation: Literal["list_services"] = "list_services"
    name: K8sName | None = Field(default=None, description="only this service")


class DescribeService(KubernetesOperation):
    kind: ClassVar[str] = "describe_service"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "services"
    summary: ClassVar[str] = "Show one service: selector, ports and its ready/not-ready endpoints"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_SERVICES_READ, _ENDPOINTS_READ)

    operation: Literal["describe_service"] = "describe_service"
    name: K8sName = Field(description="service name")


class ListIngresses(_AllNamespaces):
    kind: ClassVar[str] = "list_ingresses"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "ingresses"
    summary: ClassVar[str] = "List ingresses: hosts, paths -> backend services, TLS"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="networking.k8s.io", resource="ingresses", verbs=("get", "list")),
    )

    operation: Literal["list_ingresses"] = "list_ingresses"
    name: K8sName | None = Field(default=None, description="only this ingress")


class GetConfigMaps(_AllNamespaces):
    kind: ClassVar[str] = "get_configmaps"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "configmaps"
    summary: ClassVar[str] = "List config maps, or one config map's keys and sizes (no values)"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_CONFIGMAPS_READ,)

    operation: Literal["get_configmaps"] = "get_configmaps"
    name: K8sName | None = Field(default=None, description="config map name; omit to list")


class ReadConfigMapValues(KubernetesOperation):
    kind: ClassVar[str] = "read_configmap_values"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "configmaps"
    summary: ClassVar[str] = "Show a config map's values, redacted (only where policy allows)"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_CONFIGMAPS_READ,)

    operation: Literal["read_configmap_values"] = "read_configmap_values"
    name: K8sName = Field(description="config map name")


class ListNamespaces(KubernetesOperation):
    kind: ClassVar[str] = "list_namespaces"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "namespaces"
    summary: ClassVar[str] = "List namespaces with status and age"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="", resource="namespaces", verbs=("get", "list")),
    )

    operation: Literal["list_namespaces"] = "list_namespaces"

    @property
    def scope_namespace(self) -> str | None:
        return None  # cluster-scoped: matched by rules whose namespaces are "*"


class ListPvcs(_AllNamespaces):
    kind: ClassVar[str] = "list_pvcs"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "persistentvolumeclaims"
    summary: ClassVar[str] = "List persistent volume claims: status, capacity, class, volume"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="", resource="persistentvolumeclaims", verbs=("get", "list")),
    )

    operation: Literal["list_pvcs"] = "list_pvcs"


class GetResource(_AllNamespaces):
    """Any resource the cluster serves, found by discovery, as the server's own table.

    No RBAC is declared: the chart cannot know a cluster's CRDs, so it grants get/list on the
    resources listed in `rbac.genericRead` (values.yaml) and the cluster's RBAC decides."""

    kind: ClassVar[str] = "get_resource"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "*"
    summary: ClassVar[str] = (
        "Get any other resource type the cluster serves (CRDs too) as a table; never Secrets"
    )

    operation: Literal["get_resource"] = "get_resource"
    resource_type: ResourceType = Field(
        description="resource type as kubectl writes it: plural, singular, short name or "
        "plural.group (e.g. certificates.cert-manager.io)"
    )
    name: K8sName | None = Field(default=None, description="only this object")

    @property
    def named_resource(self) -> str:
        return self.resource_type


class DockerStats(DockerOperation):
    kind: ClassVar[str] = "docker_stats"
    risk: ClassVar[Risk] = Risk.READ
    summary: ClassVar[str] = "One sample of CPU %, memory and network of running containers"

    operation: Literal["docker_stats"] = "docker_stats"
    container: ContainerRef | None = Field(default=None, description="only this container")


class DockerTop(DockerOperation):
    kind: ClassVar[str] = "docker_top"
    risk: ClassVar[Risk] = Risk.READ
    summary: ClassVar[str] = "List the processes running in a container"

    operation: Literal["docker_top"] = "docker_top"
    container: ContainerRef = Field(description="container name or id")


READS_OPERATIONS: tuple[type[Operation], ...] = (
    ListServices,
    DescribeService,
    ListIngresses,
    GetConfigMaps,
    ReadConfigMapValues,
    ListNamespaces,
    ListPvcs,
    GetResource,
    DockerStats,
    DockerTop,
)
