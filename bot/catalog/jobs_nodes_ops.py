"""Jobs, CronJobs and Nodes in the catalog: list, describe, trigger, suspend/resume, delete a
finished Job; cordon, uncordon and drain a Node (evictions honour PodDisruptionBudgets)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from bot.catalog.base import (
    BackendKind,
    ContextName,
    K8sName,
    LabelSelector,
    Operation,
    RbacNeed,
    Risk,
)
from bot.catalog.kubernetes_ops import KubernetesOperation, _AllNamespaces

_EVENTS_READ = RbacNeed(api_group="", resource="events", verbs=("get", "list"))
_PODS_READ = RbacNeed(api_group="", resource="pods", verbs=("get", "list"))
_CRONJOBS_READ = RbacNeed(api_group="batch", resource="cronjobs", verbs=("get", "list"))
_JOBS_READ = RbacNeed(api_group="batch", resource="jobs", verbs=("get", "list"))
_NODES_READ = RbacNeed(api_group="", resource="nodes", verbs=("get", "list"))
_NODES_PATCH = RbacNeed(api_group="", resource="nodes", verbs=("get", "patch"))


class NodeOperation(Operation):
    """A Kubernetes operation on a Node: cluster-scoped, so it has a context and no namespace
    (policy sees no namespace: only rules whose namespaces cover '*' apply)."""

    backend: ClassVar[BackendKind] = BackendKind.KUBERNETES

    context: ContextName | None = Field(
        default=None, description="kubeconfig context (cluster); omit for the default"
    )


# ---------------------------------------------------------------- CronJobs
class ListCronJobs(_AllNamespaces):
    kind: ClassVar[str] = "list_cronjobs"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "cronjobs"
    summary: ClassVar[str] = "List cronjobs with schedule, suspend, active jobs and last schedule"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_CRONJOBS_READ,)

    operation: Literal["list_cronjobs"] = "list_cronjobs"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. app=backup")


class DescribeCronJob(KubernetesOperation):
    kind: ClassVar[str] = "describe_cronjob"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "cronjobs"
    summary: ClassVar[str] = "Show one cronjob: schedule, suspend, last schedule, its jobs, events"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_CRONJOBS_READ, _JOBS_READ, _EVENTS_READ)

    operation: Literal["describe_cronjob"] = "describe_cronjob"
    name: K8sName = Field(description="cronjob name")


class TriggerCronJob(KubernetesOperation):
    """`kubectl create job --from=cronjob/NAME`; `before` records the Job created, for undo."""

    kind: ClassVar[str] = "trigger_cronjob"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "jobs"
    summary: ClassVar[str] = "Run a cronjob now: create a Job from its template"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        _CRONJOBS_READ,
        RbacNeed(api_group="batch", resource="jobs", verbs=("create", "get", "list")),
    )
    reversible: ClassVar[bool] = True

    operation: Literal["trigger_cronjob"] = "trigger_cronjob"
    name: K8sName = Field(description="cronjob name")

    @property
    def named_resource(self) -> str:
        return "cronjobs"  # it creates a Job, but `name` names the CronJob

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        job = before.get("created_job")
        if not isinstance(job, str):
            return None
        return DeleteJob(
            context=self.context, namespace=self.namespace, name=job, even_if_active=True
        )


class SuspendCronJob(KubernetesOperation):
    kind: ClassVar[str] = "suspend_cronjob"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "cronjobs"
    summary: ClassVar[str] = "Suspend a cronjob: no new runs until resumed"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="batch", resource="cronjobs", verbs=("get", "list", "patch")),
    )
    reversible: ClassVar[bool] = True

    operation: Literal["suspend_cronjob"] = "suspend_cronjob"
    name: K8sName = Field(description="cronjob name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        return _suspend_state(self, before)


class ResumeCronJob(KubernetesOperation):
    kind: ClassVar[str] = "resume_cronjob"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "cronjobs"
    summary: ClassVar[str] = "Resume a suspended cronjob"
    rbac: ClassVar[tuple[RbacNeed, ...]] = SuspendCronJob.rbac
    reversible: ClassVar[bool] = True

    operation: Literal["resume_cronjob"] = "resume_cronjob"
    name: K8sName = Field(description="cronjob name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        return _suspend_state(self, before)


def _suspend_state(op: SuspendCronJob | ResumeCronJob, before: dict[str, Any]) -> Operation | None:
    """The step that puts `suspend` back to what it was before `op`."""
    suspended = before.get("suspend")
    if not isinstance(suspended, bool):
        return None
    back = SuspendCronJob if suspended else ResumeCronJob
    return back(context=op.context, namespace=op.namespace, name=op.name)


# ---------------------------------------------------------------- Jobs
class ListJobs(_AllNamespaces):
    kind: ClassVar[str] = "list_jobs"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "jobs"
    summary: ClassVar[str] = "List jobs with completions, failures, duration and owner"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_JOBS_READ,)

    operation: Literal["list_jobs"] = "list_jobs"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. app=backup")


class DescribeJob(KubernetesOperation):
    kind: ClassVar[str] = "describe_job"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "jobs"
    summary: ClassVar[str] = "Show one job: completions, failures, conditions, pods and events"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_JOBS_READ, _PODS_READ, _EVENTS_READ)

    operation: Literal["describe_job"] = "describe_job"
    name: K8sName = Field(description="job name")


class DeleteJob(KubernetesOperation):
    kind: ClassVar[str] = "delete_job"
    risk: ClassVar[Risk] = Risk.DESTRUCTIVE
    resource: ClassVar[str] = "jobs"
    summary: ClassVar[str] = "Delete a finished job and its pods (an active job is refused)"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        RbacNeed(api_group="batch", resource="jobs", verbs=("delete", "get", "list")),
    )

    operation: Literal["delete_job"] = "delete_job"
    name: K8sName = Field(description="job name")
    even_if_active: bool = Field(
        default=False, description="also delete a job that is still running (stops its pods)"
    )


# ---------------------------------------------------------------- Nodes
class ListNodes(NodeOperation):
    kind: ClassVar[str] = "list_nodes"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "nodes"
    summary: ClassVar[str] = "List nodes with status, schedulability, roles, version and age"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_NODES_READ,)

    operation: Literal["list_nodes"] = "list_nodes"
    label_selector: LabelSelector | None = Field(default=None, description="e.g. zone=a")


class DescribeNode(NodeOperation):
    kind: ClassVar[str] = "describe_node"
    risk: ClassVar[Risk] = Risk.READ
    resource: ClassVar[str] = "nodes"
    summary: ClassVar[str] = "Show one node: conditions, taints, allocatable and the pods on it"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_NODES_READ, _PODS_READ, _EVENTS_READ)

    operation: Literal["describe_node"] = "describe_node"
    name: K8sName = Field(description="node name")


class CordonNode(NodeOperation):
    kind: ClassVar[str] = "cordon_node"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "nodes"
    summary: ClassVar[str] = "Cordon a node: no new pods are scheduled on it"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_NODES_PATCH,)
    reversible: ClassVar[bool] = True

    operation: Literal["cordon_node"] = "cordon_node"
    name: K8sName = Field(description="node name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        return _schedulable_state(self, before)


class UncordonNode(NodeOperation):
    kind: ClassVar[str] = "uncordon_node"
    risk: ClassVar[Risk] = Risk.WRITE
    resource: ClassVar[str] = "nodes"
    summary: ClassVar[str] = "Uncordon a node: pods may be scheduled on it again"
    rbac: ClassVar[tuple[RbacNeed, ...]] = (_NODES_PATCH,)
    reversible: ClassVar[bool] = True

    operation: Literal["uncordon_node"] = "uncordon_node"
    name: K8sName = Field(description="node name")

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        return _schedulable_state(self, before)


def _schedulable_state(op: CordonNode | UncordonNode, before: dict[str, Any]) -> Operation | None:
    """The step that puts `unschedulable` back to what it was before `op`."""
    cordoned = before.get("unschedulable")
    if not isinstance(cordoned, bool):
        return None
    back = CordonNode if cordoned else UncordonNode
    return back(context=op.context, name=op.name)


class DrainNode(NodeOperation):
    """Cordon, then evict the node's pods through the Eviction API (PodDisruptionBudgets are
    honoured); DaemonSet and mirror pods are skipped as kubectl does. Undo uncordons only."""

    kind: ClassVar[str] = "drain_node"
    risk: ClassVar[Risk] = Risk.DESTRUCTIVE
    resource: ClassVar[str] = "nodes"
    summary: ClassVar[str] = (
        "Drain a node: cordon it, then evict its pods (PodDisruptionBudgets honoured)"
    )
    rbac: ClassVar[tuple[RbacNeed, ...]] = (
        _NODES_PATCH,
        RbacNeed(api_group="", resource="pods", verbs=("get", "list")),
        RbacNeed(api_group="", resource="pods/eviction", verbs=("create",)),
    )
    reversible: ClassVar[bool] = True

    operation: Literal["drain_node"] = "drain_node"
    name: K8sName = Field(description="node name")
    delete_emptydir_data: bool = Field(
        default=False, description="also evict pods with emptyDir volumes (their data is lost)"
    )
    timeout_seconds: int = Field(
        default=120, ge=1, le=1800, description="give up evicting after this many seconds"
    )

    def inverse(self, before: dict[str, Any]) -> Operation | None:
        if before.get("unschedulable") is True:  # it was cordoned already: leave it so
            return CordonNode(context=self.context, name=self.name)
        return UncordonNode(context=self.context, name=self.name)


JOBS_NODES_OPERATIONS: tuple[type[Operation], ...] = (
    ListCronJobs,
    DescribeCronJob,
    TriggerCronJob,
    SuspendCronJob,
    ResumeCronJob,
    ListJobs,
    DescribeJob,
    DeleteJob,
    ListNodes,
    DescribeNode,
    CordonNode,
    UncordonNode,
    DrainNode,
)

JobsNodesOperation = (
    ListCronJobs
    | DescribeCronJob
    | TriggerCronJob
    | SuspendCronJob
    | ResumeCronJob
    | ListJobs
    | DescribeJob
    | DeleteJob
    | ListNodes
    | DescribeNode
    | CordonNode
    | UncordonNode
    | DrainNode
)
