"""Workloads beyond Deployments (StatefulSets, DaemonSets), rollout status and history for all
three, and HorizontalPodAutoscalers.

StatefulSets and DaemonSets keep their history in ControllerRevisions: restart and rollback
record the revision they left, and undo rolls back to it (as `kubectl rollout undo
--to-revision` does).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from bot.catalog.base import K8sName, LabelSelector, Operation, RbacNeed, Risk
from bot.catalog.kubernetes_ops import KubernetesOperation, _AllNamespaces

_EVENTS_READ = RbacNeed(api_group="", resource="events", verbs=("get", "list"))
_REVISIONS_READ = RbacNeed(api_group="apps", resource="controllerrevisions", verbs=("get", "list"))
_STS_READ = RbacNeed(api_group="apps", resource="statefulsets", verbs=("get", "list"))
_STS_WRITE = RbacNeed(api_group="apps", resource="statefulsets", verbs=("get", "list", "patch"))
_DS_READ = RbacNeed(api_group="apps", resource="daemonsets", verbs=("get", "list"))
_DS_WRITE = RbacNeed(api_group="apps", resource="daemonsets", verbs=("get", "list", "patch"))
_DEPLOY_READ = RbacNeed(api_group="apps", resource="deployments", verbs=("get", "list"))
_RS_READ = RbacNeed(api_group="apps", resource="replicasets", verbs=("get", "list"))
HPA_READ = RbacNeed(
    api_group="autoscaling", resource="horizontalpodautoscalers", verbs=("get", "list")
)
_HPA_WRITE = RbacNeed(
    api_group="autoscaling", resource="horizontalpodautoscalers", verbs=("get", "list", "patch")
)


# ---------------------------------------------------------------- StatefulSets
class ListStatefulSets(_AllNamespaces):
    kind: ClassVar[str] = "list_statefulsets"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "List statefulsets with desired, ready and updated replicas"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_READ,)

    operation: Literal["list_statefulsets"] = "list_statefulsets"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. app=redis")


class DescribeStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "describe_statefulset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "Show one statefulset: replicas, images, revisions, HPA, events"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_READ, _REVISIONS_READ, _EVENTS_READ)

    operation: Literal["describe_statefulset"] = "describe_statefulset"
    name: K8sName = Field(description="statefulset name")


class ScaleStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "scale_statefulset"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "statefulsets/scale"
    summary: ClassVar[str] = "Set a statefulset's replica count"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        _STS_READ,
        RbacNeed(api_group="apps", resource="statefulsets/scale", verbs=("get", "patch")),
        HPA_READ,
    )
    reversible: ClassVar[bool] = True

    operation: Literal["scale_statefulset"] = "scale_statefulset"
    name: K8sName = Field(description="statefulset name")
    replicas: int = Field(ge=0, le=1000, description="desired replica count")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        replicas = before.get("replicas")
        if not isinstance(replicas, int):
            return None
        return ScaleStatefulSet(
            context=self.context, namespace=self.namespace, name=self.name, replicas=replicas
        )


class RestartStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "restart_statefulset"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "Rollout restart: replace a statefulset's pods in order"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_WRITE, _REVISIONS_READ)
    reversible: ClassVar[bool] = True

    operation: Literal["restart_statefulset"] = "restart_statefulset"
    name: K8sName = Field(description="statefulset name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackStatefulSet(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


class RollbackStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "rollback_statefulset"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "Roll a statefulset back to its previous (or a given) revision"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_WRITE, _REVISIONS_READ)
    reversible: ClassVar[bool] = True

    operation: Literal["rollback_statefulset"] = "rollback_statefulset"
    name: K8sName = Field(description="statefulset name")
    to_revision: int | None = Field(
        default=None, ge=1, description="revision to return to; omit for the previous one"
    )

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackStatefulSet(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


# ---------------------------------------------------------------- DaemonSets
class ListDaemonSets(_AllNamespaces):
    kind: ClassVar[str] = "list_daemonsets"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "List daemonsets with desired, ready, updated and available pods"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_READ,)

    operation: Literal["list_daemonsets"] = "list_daemonsets"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. app=fluentd")


class DescribeDaemonSet(KubernetesOperation):
    kind: ClassVar[str] = "describe_daemonset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "Show one daemonset: pods per node, images, revisions, events"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_READ, _REVISIONS_READ, _EVENTS_READ)

    operation: Literal["describe_daemonset"] = "describe_daemonset"
    name: K8sName = Field(description="daemonset name")


class RestartDaemonSet(KubernetesOperation):
    kind: ClassVar[str] = "restart_daemonset"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "Rollout restart: replace a daemonset's pods node by node"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_WRITE, _REVISIONS_READ)
    reversible: ClassVar[bool] = True

    operation: Literal["restart_daemonset"] = "restart_daemonset"
    name: K8sName = Field(description="daemonset name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackDaemonSet(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


class RollbackDaemonSet(KubernetesOperation):
    kind: ClassVar[str] = "rollback_daemonset"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "Roll a daemonset back to its previous (or a given) revision"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_WRITE, _REVISIONS_READ)
    reversible: ClassVar[bool] = True

    operation: Literal["rollback_daemonset"] = "rollback_daemonset"
    name: K8sName = Field(description="daemonset name")
    to_revision: int | None = Field(
        default=None, ge=1, description="revision to return to; omit for the previous one"
    )

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        revision = before.get("revision")
        if not isinstance(revision, int):
            return None
        return RollbackDaemonSet(
            context=self.context, namespace=self.namespace, name=self.name, to_revision=revision
        )


# ---------------------------------------------------------------- rollout status and history
class RolloutStatusDeployment(KubernetesOperation):
    kind: ClassVar[str] = "rollout_status_deployment"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "Rollout status of a deployment: updated/ready/available of desired"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DEPLOY_READ,)

    operation: Literal["rollout_status_deployment"] = "rollout_status_deployment"
    name: K8sName = Field(description="deployment name")


class RolloutStatusStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "rollout_status_statefulset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "Rollout status of a statefulset: updated/ready of desired, revision"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_READ,)

    operation: Literal["rollout_status_statefulset"] = "rollout_status_statefulset"
    name: K8sName = Field(description="statefulset name")


class RolloutStatusDaemonSet(KubernetesOperation):
    kind: ClassVar[str] = "rollout_status_daemonset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "Rollout status of a daemonset: updated/ready/available of desired"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_READ,)

    operation: Literal["rollout_status_daemonset"] = "rollout_status_daemonset"
    name: K8sName = Field(description="daemonset name")


class RolloutHistoryDeployment(KubernetesOperation):
    kind: ClassVar[str] = "rollout_history_deployment"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "deployments"
    summary: ClassVar[str] = "Revisions of a deployment with their change cause and images"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DEPLOY_READ, _RS_READ)

    operation: Literal["rollout_history_deployment"] = "rollout_history_deployment"
    name: K8sName = Field(description="deployment name")


class RolloutHistoryStatefulSet(KubernetesOperation):
    kind: ClassVar[str] = "rollout_history_statefulset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "statefulsets"
    summary: ClassVar[str] = "Revisions of a statefulset with their change cause and images"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_STS_READ, _REVISIONS_READ)

    operation: Literal["rollout_history_statefulset"] = "rollout_history_statefulset"
    name: K8sName = Field(description="statefulset name")


class RolloutHistoryDaemonSet(KubernetesOperation):
    kind: ClassVar[str] = "rollout_history_daemonset"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "daemonsets"
    summary: ClassVar[str] = "Revisions of a daemonset with their change cause and images"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_DS_READ, _REVISIONS_READ)

    operation: Literal["rollout_history_daemonset"] = "rollout_history_daemonset"
    name: K8sName = Field(description="daemonset name")


# ---------------------------------------------------------------- HorizontalPodAutoscalers
class ListHpas(_AllNamespaces):
    kind: ClassVar[str] = "list_hpas"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "horizontalpodautoscalers"
    summary: ClassVar[str] = "List autoscalers: target, metrics, min/max, current replicas"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (HPA_READ,)

    operation: Literal["list_hpas"] = "list_hpas"


class DescribeHpa(KubernetesOperation):
    kind: ClassVar[str] = "describe_hpa"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "horizontalpodautoscalers"
    summary: ClassVar[str] = (
        "Show one autoscaler: current/target metrics, min/max, current/desired replicas"
    )
    rbac: ClassVar[tuple[RbacNeed, ...]] = (HPA_READ, _EVENTS_READ)

    operation: Literal["describe_hpa"] = "describe_hpa"
    name: K8sName = Field(description="HorizontalPodAutoscaler name")


class SetHpaReplicas(KubernetesOperation):
    """At least one of the two, and min <= max once applied: checked against the live object
    by the backend (the preview refuses), since either bound alone depends on the other."""

    kind: ClassVar[str] = "set_hpa_replicas"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "horizontalpodautoscalers"
    summary: ClassVar[str] = "Set an autoscaler's minimum and/or maximum replicas"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_HPA_WRITE,)
    reversible: ClassVar[bool] = True

    operation: Literal["set_hpa_replicas"] = "set_hpa_replicas"
    name: K8sName = Field(description="HorizontalPodAutoscaler name")
    min_replicas: int | None = Field(default=None, ge=1, le=1000, description="new minimum")
    max_replicas: int | None = Field(default=None, ge=1, le=1000, description="new maximum")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        low, high = before.get("min_replicas"), before.get("max_replicas")
        if not isinstance(low, int) or not isinstance(high, int):
            return None
        return SetHpaReplicas(
            context=self.context,
            namespace=self.namespace,
            name=self.name,
            min_replicas=low,
            max_replicas=high,
        )


WORKLOAD_OPERATIONS: tuple[type[Operation], ...] = (
    ListStatefulSets,
    DescribeStatefulSet,
    ScaleStatefulSet,
    RestartStatefulSet,
    RollbackStatefulSet,
    ListDaemonSets,
    DescribeDaemonSet,
    RestartDaemonSet,
    RollbackDaemonSet,
    RolloutStatusDeployment,
    RolloutStatusStatefulSet,
    RolloutStatusDaemonSet,
    RolloutHistoryDeployment,
    RolloutHistoryStatefulSet,
    RolloutHistoryDaemonSet,
    ListHpas,
    DescribeHpa,
    SetHpaReplicas,
)
