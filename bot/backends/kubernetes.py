"""The Kubernetes backend: runs catalog operations through the official client.

Optionally impersonates the requester (Impersonate-User / Impersonate-Group) so the cluster's
own RBAC decides; writes preview with a server-side dry run; never raises into the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubernetes import client
from kubernetes.config.config_exception import ConfigException

from bot.backends import kubernetes_autoscaling as hpa
from bot.backends import kubernetes_day2_reads as day2
from bot.backends import kubernetes_generic as generic
from bot.backends import kubernetes_jobs as jobs
from bot.backends import kubernetes_names as names
from bot.backends import kubernetes_nodes as nodes
from bot.backends import kubernetes_reads as reads
from bot.backends import kubernetes_rollout as rollout
from bot.backends import kubernetes_workloads as workloads
from bot.backends import kubernetes_writes as writes
from bot.backends.base import Backend, ErrorKind, Preview, Result, Status
from bot.backends.dispatch import Dispatch, handler
from bot.backends.kubernetes_client import (
    ApiClientFactory,
    KubeSession,
    SessionPool,
    default_factory,
)
from bot.backends.kubernetes_errors import KubeError
from bot.catalog import BackendKind, Operation, reads_ops
from bot.catalog import jobs_nodes_ops as jn
from bot.catalog.kubernetes_ops import (
    DeletePod,
    DescribeDeployment,
    DescribePod,
    KubernetesOperation,
    ListDeployments,
    ListEvents,
    ListPods,
    PodLogs,
    RestartDeployment,
    RollbackDeployment,
    ScaleDeployment,
)
from bot.catalog.workload_ops import (
    DescribeDaemonSet,
    DescribeHpa,
    DescribeStatefulSet,
    ListDaemonSets,
    ListHpas,
    ListStatefulSets,
    RestartDaemonSet,
    RestartStatefulSet,
    RollbackDaemonSet,
    RollbackStatefulSet,
    RolloutHistoryDaemonSet,
    RolloutHistoryDeployment,
    RolloutHistoryStatefulSet,
    RolloutStatusDaemonSet,
    RolloutStatusDeployment,
    RolloutStatusStatefulSet,
    ScaleStatefulSet,
    SetHpaReplicas,
)
from bot.config import Settings
from bot.models import Principal
from bot.redact import truncate


class KubernetesBackend:
    """Backend for every Kubernetes operation of the catalog (see bot.catalog.kubernetes_ops)."""

    name = "kubernetes"

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        api_client_factory: Callable[[str | None], client.ApiClient] | None = None,
    ) -> None:
        """`api_client_factory(context)` gives a configured ApiClient for a kubeconfig context
        (None: the default); only its configuration is used. Default: kubeconfig or in-cluster."""
        self.settings = settings or Settings()
        factory: ApiClientFactory = api_client_factory or default_factory(
            context=self.settings.kube_context, in_cluster=self.settings.kube_in_cluster
        )
        self._pool = SessionPool(factory, timeout=self.settings.kube_timeout_seconds)
        self.dispatch = _handlers(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> KubernetesBackend:
        return cls(settings=settings)

    # ------------------------------------------------------------------ Backend protocol
    def execute(self, op: Operation, *, actor: Principal | None = None) -> Result:
        started = time.perf_counter()
        result: Result = self._run(op, actor, self._execute_with)
        limit = self.settings.max_output_chars
        if result.text and len(result.text) > limit and not isinstance(op, PodLogs):
            result.text, _ = truncate(result.text, max_chars=limit, keep="head")
            result.truncated = True
        result.duration_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def preview(self, op: Operation, *, actor: Principal | None = None) -> Preview:
        entry = self.dispatch.handler_for(op)
        if entry is None or entry.preview is None:
            return Preview(note="read-only: nothing changes")
        started = time.perf_counter()
        outcome: Preview | Result = self._run(op, actor, self._preview_with)
        if isinstance(outcome, Result):  # the current state or the dry run failed
            outcome.duration_ms = round((time.perf_counter() - started) * 1000, 2)
            return Preview(dry_run=outcome, note=f"preview failed: {outcome.error}")
        if outcome.dry_run is not None:
            outcome.dry_run.duration_ms = round((time.perf_counter() - started) * 1000, 2)
        return outcome

    def check(self) -> str | None:
        if self.settings.kube_disabled:
            return "Kubernetes backend disabled (OPSBOT_KUBE_DISABLED)"
        try:
            session = self._pool.session(context=None)
            session.json("GET /version", session.version.get_code)
        except KubeError as err:
            return f"Kubernetes API: {err.message}"
        except (ConfigException, OSError, TypeError, ValueError) as err:
            return f"Kubernetes not configured: {err} (set KUBECONFIG/OPSBOT_KUBE_CONTEXT)"
        return None

    def known_names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        """Names of any object type the catalog acts on (or the cluster serves), in
        `namespace` or every namespace; cluster-scoped types (nodes, namespaces) ignore it.
        An empty list when the API cannot be read or the type is unknown (see
        bot/backends/kubernetes_names.py)."""
        if self.settings.kube_disabled:
            return []
        try:
            return names.live_names(self._pool.session(context=None), resource, namespace)
        except (KubeError, ConfigException, OSError, TypeError, ValueError):
            return []

    # ------------------------------------------------------------------ internals
    def _run(
        self, op: Operation, actor: Principal | None, body: Callable[[KubeSession, Any], Any]
    ) -> Any:
        if not isinstance(op, KubernetesOperation | jn.NodeOperation):
            return Result(
                status=Status.ERROR,
                call="-",
                error_kind=ErrorKind.INVALID,
                error=f"{op.kind} is not a Kubernetes operation",
            )
        if self.settings.kube_disabled:
            return Result(
                status=Status.ERROR,
                call="-",
                error_kind=ErrorKind.NOT_CONFIGURED,
                error="the Kubernetes backend is disabled (OPSBOT_KUBE_DISABLED)",
                hint="unset OPSBOT_KUBE_DISABLED to use Kubernetes",
            )
        try:
            user, groups = self._identity(actor)
            session = self._pool.session(context=op.context, user=user, groups=groups)
        except (ConfigException, OSError, TypeError, ValueError) as err:
            where = f"context {op.context!r}" if op.context else "the default context"
            return Result(
                status=Status.ERROR,
                call="-",
                error_kind=ErrorKind.NOT_CONFIGURED,
                error=f"cannot load Kubernetes configuration for {where}: {err}",
                hint="set KUBECONFIG (and OPSBOT_KUBE_CONTEXT) or run inside a cluster",
            )
        try:
            return body(session, op)
        except KubeError as err:
            return Result(
                status=Status.ERROR,
                call=err.call or "; ".join(session.calls),
                error=err.message,
                error_kind=err.kind,
                hint=hint_for(op, err),
            )

    def _identity(self, actor: Principal | None) -> tuple[str | None, tuple[str, ...]]:
        if actor is None or not self.settings.kube_impersonate:
            return None, ()
        user = self.settings.kube_user_map.get(actor.id, actor.id)
        return user, tuple(sorted(actor.groups))

    def _execute_with(self, s: KubeSession, op: Operation) -> Result:
        entry = self.dispatch.handler_for(op)
        if entry is None:
            return Result(
                status=Status.ERROR,
                call="-",
                error_kind=ErrorKind.INVALID,
                error=f"the Kubernetes backend does not implement {op.kind}",
            )
        return entry.execute(s, op)

    def _preview_with(self, s: KubeSession, op: Operation) -> Preview:
        entry = self.dispatch.handler_for(op)
        if entry is None or entry.preview is None:
            return Preview(note="read-only: nothing changes")
        return entry.preview(s, op)


def _handlers(settings: Settings) -> Dispatch[KubeSession]:
    """The one list of Kubernetes operations this backend runs (checked against the catalog)."""

    def pod_logs(s: KubeSession, op: PodLogs) -> Result:
        return reads.pod_logs(s, op, settings=settings)

    return Dispatch(
        BackendKind.KUBERNETES,
        [
            handler(ListPods, reads.list_pods),
            handler(DescribePod, reads.describe_pod),
            handler(PodLogs, pod_logs),
            handler(ListEvents, reads.list_events),
            handler(ListDeployments, reads.list_deployments),
            handler(DescribeDeployment, reads.describe_deployment),
            handler(
                ScaleDeployment,
                writes.execute_scale,
                hpa.with_hpa_note("Deployment", writes.preview_scale),
            ),
            handler(RestartDeployment, writes.execute_restart, writes.preview_restart),
            handler(RollbackDeployment, writes.execute_rollback, writes.preview_rollback),
            handler(DeletePod, writes.execute_delete_pod, writes.preview_delete_pod),
            # Jobs, CronJobs and Nodes (bot/backends/kubernetes_jobs.py, kubernetes_nodes.py)
            handler(jn.ListCronJobs, jobs.list_cronjobs),
            handler(jn.DescribeCronJob, jobs.describe_cronjob),
            handler(jn.TriggerCronJob, jobs.execute_trigger, jobs.preview_trigger),
            handler(jn.SuspendCronJob, jobs.execute_suspend, jobs.preview_suspend),
            handler(jn.ResumeCronJob, jobs.execute_suspend, jobs.preview_suspend),
            handler(jn.ListJobs, jobs.list_jobs),
            handler(jn.DescribeJob, jobs.describe_job),
            handler(jn.DeleteJob, jobs.execute_delete_job, jobs.preview_delete_job),
            handler(jn.ListNodes, nodes.list_nodes),
            handler(jn.DescribeNode, nodes.describe_node),
            handler(jn.CordonNode, nodes.execute_cordon, nodes.preview_cordon),
            handler(jn.UncordonNode, nodes.execute_cordon, nodes.preview_cordon),
            handler(jn.DrainNode, nodes.execute_drain, nodes.preview_drain),
            # day-2 reads (bot/backends/kubernetes_day2_reads.py, kubernetes_generic.py)
            handler(reads_ops.ListServices, day2.list_services),
            handler(reads_ops.DescribeService, day2.describe_service),
            handler(reads_ops.ListIngresses, day2.list_ingresses),
            handler(reads_ops.GetConfigMaps, day2.get_configmaps),
            handler(reads_ops.ReadConfigMapValues, day2.read_configmap_values),
            handler(reads_ops.ListNamespaces, day2.list_namespaces),
            handler(reads_ops.ListPvcs, day2.list_pvcs),
            handler(reads_ops.GetResource, generic.get_resource),
            # workloads beyond Deployments, rollout status/history, autoscalers (workload_ops)
            handler(ListStatefulSets, workloads.list_statefulsets),
            handler(DescribeStatefulSet, workloads.describe_statefulset),
            handler(
                ScaleStatefulSet,
                workloads.execute_scale_statefulset,
                hpa.with_hpa_note("StatefulSet", workloads.preview_scale_statefulset),
            ),
            handler(RestartStatefulSet, workloads.execute_restart, workloads.preview_restart),
            handler(RollbackStatefulSet, workloads.execute_rollback, workloads.preview_rollback),
            handler(ListDaemonSets, workloads.list_daemonsets),
            handler(DescribeDaemonSet, workloads.describe_daemonset),
            handler(RestartDaemonSet, workloads.execute_restart, workloads.preview_restart),
            handler(RollbackDaemonSet, workloads.execute_rollback, workloads.preview_rollback),
            handler(RolloutStatusDeployment, rollout.rollout_status_deployment),
            handler(RolloutStatusStatefulSet, rollout.rollout_status_statefulset),
            handler(RolloutStatusDaemonSet, rollout.rollout_status_daemonset),
            handler(RolloutHistoryDeployment, rollout.rollout_history_deployment),
            handler(RolloutHistoryStatefulSet, rollout.rollout_history_statefulset),
            handler(RolloutHistoryDaemonSet, rollout.rollout_history_daemonset),
            handler(ListHpas, hpa.list_hpas),
            handler(DescribeHpa, hpa.describe_hpa),
            handler(SetHpaReplicas, hpa.execute_set_hpa, hpa.preview_set_hpa),
        ],
    )


def hint_for(op: Operation, err: KubeError) -> str | None:
    """What the user can try next, given the operation and how it failed."""
    ns = getattr(op, "namespace", "default")
    name = getattr(op, "name", None)
    is_pod = isinstance(op, DescribePod | PodLogs | DeletePod)
    lister = f"`list pods -n {ns}`" if is_pod else f"`list deployments -n {ns}`"
    if err.kind == ErrorKind.NOT_FOUND:
        if isinstance(op, RollbackDeployment) and "revision" in err.message:
            return f"see the revisions with `describe deployment {name} -n {ns}`"
        return f"check the name with {lister}"
    if err.kind == ErrorKind.FORBIDDEN and "never readable" in err.message:
        return "Secrets stay out of chat; use your own kubectl access if you may read them"
    if err.kind == ErrorKind.FORBIDDEN:
        return "ask a cluster admin for that RBAC permission, or ask someone who has it to run this"
    if err.kind == ErrorKind.CONFLICT:
        return "someone changed it at the same time; look at its current state and try again"
    if err.kind == ErrorKind.TEMPORARY:
        return "the Kubernetes API is unreachable or overloaded (already retried); try again soon"
    if err.kind == ErrorKind.INVALID:
        if isinstance(op, PodLogs) and op.previous and "previous" in err.message:
            return "this container has not restarted, so it has no previous log: drop --previous"
        if isinstance(op, PodLogs):
            return f"name a container with --container (see `describe pod {name} -n {ns}`)"
        if isinstance(op, RollbackDeployment | RestartDeployment):
            return f"see its revisions and state with `describe deployment {name} -n {ns}`"
    return None


if TYPE_CHECKING:  # mypy proves KubernetesBackend fulfils the Backend protocol
    _PROTOCOL_CHECK: Backend = KubernetesBackend()
