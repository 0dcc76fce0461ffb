"""Kubernetes operations of the catalog."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from bot.catalog.base import (
    BackendKind,
    ContextName,
    K8sName,
    LabelSelector,
    Namespace,
    Operation,
    RbacNeed,
    Risk,
)

_PODS_READ = RbacNeed(api_group="", resource="pods", verbs=("get", "list"))
_DEPLOY_READ = RbacNeed(api_group="apps", resource="deployments", verbs=("get", "list"))
_RS_READ = RbacNeed(api_group="apps", resource="replicasets", verbs=("get", "list"))
_EVENTS_READ = RbacNeed(api_group="", resource="events", verbs=("get", "list"))


class KubernetesOperation(Operation):
    backend: ClassVar[BackendKind] = BackendKind.KUBERNETES

    context: ContextName | None = Field(
        default=None, description="kubeconfig context (cluster); omit for the default"
    )
    namespace: Namespace = Field(default="default", description="Kubernetes namespace")


class _AllNamespaces(KubernetesOperation):
    all_namespaces: bool = Field(default=False, description="list across every namespace")

    @property
    def scope_namespace(self) -> str | None:
        return "*" if self.all_namespaces else self.namespace


class ListPods(_AllNamespaces):
    kind: ClassVar[str] = "list_pods"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "pods"
    summary: ClassVar[str] = "List pods with their phase, readiness and restarts"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_PODS_READ,)

    operation: Literal["list_pods"] = "list_pods"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. app=web")


class DescribePod(KubernetesOperation):
    kind: ClassVar[str] = "describe_pod"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "pods"
    summary: ClassVar[str] = "Show one pod: status, containers, conditions and recent events"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_PODS_READ, _EVENTS_READ)

    operation: Literal["describe_pod"] = "describe_pod"
    name: K8sName = Field(description="pod name")


class PodLogs(KubernetesOperation):
    kind: ClassVar[str] = "pod_logs"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "pods/log"
    summary: ClassVar[str] = "Show the last lines of a pod's log"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        _PODS_READ,
        RbacNeed(api_group="", resource="pods/log", verbs=("get",)),
    )

    operation: Literal["pod_logs"] = "pod_logs"
    name: K8sName = Field(description="pod name")
    container: K8sName | None = Field(default=None, description="container in the pod")
    tail_lines: int = Field(default=100, ge=1, le=5000, description="lines from the end")
    since_seconds: int | None = Field(default=None, ge=1, le=7 * 86400, description="max age")
    previous: bool = Field(default=False, description="log of the previous (crashed) instance")


class ListEvents(_AllNamespaces):
    kind: ClassVar[str] = "list_events"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "events"
    summary: ClassVar[str] = "List recent events, warnings first"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_EVENTS_READ,)

    operation: Literal["list_events"] = "list_events"
    object_name: K8sName | None = Field(default=None, description="only events about this object")
    warnings_only: bool = Field(default=False, description="only type=Warning")
    limit: int = Field(default=50, ge=1, le=500, description="at most this many events")


class ListDeployments(_AllNamespaces):
    kind: ClassVar[str] = "list_deployments"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "List deployments with desired, ready and available replicas"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DEPLOY_READ,)

    operation: Literal["list_deployments"] = "list_deployments"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. tier=frontend")


class DescribeDeployment(KubernetesOperation):
    kind: ClassVar[str] = "describe_deployment"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "Show one deployment: replicas, images, revision, conditions"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DEPLOY_READ, _RS_READ, _EVENTS_READ)

    operation: Literal["describe_deployment"] = "describe_deployment"
    name: K8sName = Field(description="deployment name")


class ScaleDeployment(KubernetesOperation):
    kind: ClassVar[str] = "scale_deployment"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "deployments/scale"
    summary: ClassVar[str] = "Set a deployment's replica count"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        _DEPLOY_READ,
        RbacNeed(api_group="apps", resource="deployments/scale", verbs=("get", "patch")),
        # the preview names an HPA that controls the deployment (kubernetes_autoscaling.py)
        RbacNeed(
            api_group="autoscaling", resource="horizontalpodautoscalers", verbs=("get", "list")
        ),
    )
    reversible: ClassVar[bool] = True

    operation: Literal["scale_deployment"] = "scale_deployment"
    name: K8sName = Field(description="deployment name")
    replicas: int = Field(ge=0, le=1000, description="desired replica count")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        replicas = before.get("replicas")
        if not isinstance(replicas, int):
            return None
        return ScaleDeployment(
            context=self.context, namespace=self.namespace, name=self.name, replicas=replicas
        )


class RestartDeployment(KubernetesOperation):
    kind: ClassVar[str] = "restart_deployment"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "Rollout restart: replace a deployment's pods gradually"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="apps", resource="deployments", verbs=("get", "list", "patch")),
    )
    reversible: ClassVar[bool] = True

    operation: Literal["restart_deployment"] = "restart_deployment"
    name: K8sName = Field(description="deployment name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackDeployment(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


class RollbackDeployment(KubernetesOperation):
    kind: ClassVar[str] = "rollback_deployment"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "Roll a deployment back to its previous (or a given) revision"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="apps", resource="deployments", verbs=("get", "list", "patch")),
        _RS_READ,
    )
    reversible: ClassVar[bool] = True

    operation: Literal["rollback_deployment"] = "rollback_deployment"
    name: K8sName = Field(description="deployment name")
    to_revision: int | None = Field(
        default=None, ge=1, description="revision to return to; omit for the previous one"
    )

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackDeployment(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


class DeletePod(KubernetesOperation):
    kind: ClassVar[str] = "delete_pod"
    risk: ClassVar[Risk] = Risk.DESTRUCTIVE
    resource: ClassVar[str] = "pods"
    summary: ClassVar[str] = "Delete a pod (its controller, if any, replaces it)"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="", resource="pods", verbs=("get", "list", "delete")),
    )

    operation: Literal["delete_pod"] = "delete_pod"
    name: K8sName = Field(description="pod name")
    grace_period_seconds: int | None = Field(
        default=None, ge=0, le=3600, description="termination grace period"
    )
