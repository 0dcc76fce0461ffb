"""Kubernetes findings: nodes, pods, deployments and recent Warning events.

Every list is paged (`limit`/`continue`) and filtered on the server where the API allows it
(pods: `status.phase!=Succeeded`, events: `type=Warning`). Pages are processed as they arrive
and dropped; only findings (capped per kind) and counters are kept, so memory stays flat on a
cluster of any size. Everything read from the cluster is redacted before it is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.backends.base import ErrorKind
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_errors import KubeError
from bot.catalog.jobs_nodes_ops import CordonNode, DescribeNode, DrainNode
from bot.catalog.kubernetes_ops import (
    DescribeDeployment,
    DescribePod,
    KubernetesOperation,
    ListEvents,
    PodLogs,
    RollbackDeployment,
)
from bot.redact import redact, truncate
from bot.reports.models import Finding, Severity
from bot.reports.scope import Thresholds
from bot.reports.sink import FindingSink
from bot.reports.suggestions import suggestion, suggestions

IMAGE_PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})
CONFIG_ERROR_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError"})
NODE_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
MAX_EXAMPLES = 3
MAX_DISTINCT_OBJECTS = 1000  # per event group; beyond this we say "1000+"


@dataclass
class K8sTarget:
    """One context (None: the default) and the namespaces to look at (empty: all)."""

    context: str | None
    namespaces: list[str]

    @property
    def label(self) -> str:
        return self.context or "default"


def collect_kubernetes(
    session: KubeSession,
    *,
    target: K8sTarget,
    thresholds: Thresholds,
    now: datetime,
    sink: FindingSink,
) -> None:
    """Add the target's findings to `sink`; unreadable parts become notes, never exceptions."""
    collector = _Collector(session, target=target, th=thresholds, now=now, sink=sink)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("nodes", collector.nodes),
        ("pods", collector.pods),
        ("deployments", collector.deployments),
        ("events", collector.events),
    ]
    for what, step in steps:
        try:
            step()
        except KubeError as err:
            if err.kind == ErrorKind.TEMPORARY:  # unreachable after retries: stop, say so loudly
                sink.add(unreachable(target, what=what, message=err.message))
                return
            sink.note(f"Kubernetes {target.label}: could not read {what}: {err.message}")


def unreachable(target: K8sTarget, *, what: str, message: str) -> Finding:
    return Finding(
        severity=Severity.CRITICAL,
        source="kubernetes",
        scope=target.label,
        kind="source_unreachable",
        subject="api",
        title=f"Kubernetes API of {target.label} is unreachable",
        detail=_clean(f"listing {what}: {message}"),
        next_step="Nothing in this cluster could be checked. Check the API server and the "
        "network path from the bot; the rest of this report is incomplete.",
    )


@dataclass
class _EventGroup:
    reason: str
    kind: str
    events: int = 0
    occurrences: int = 0
    objects: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    sample: str = ""


class _Collector:
    def __init__(
        self,
        s: KubeSession,
        *,
        target: K8sTarget,
        th: Thresholds,
        now: datetime,
        sink: FindingSink,
    ) -> None:
        self.s, self.target, self.th, self.now, self.sink = s, target, th, now, sink

    # ------------------------------------------------------------------ paging
    def _pages(
        self, call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        for items, _more in self.s.pages(call, fn, *args, page_size=self.th.page_size, **kwargs):
            yield from items

    def _each(
        self,
        path: str,
        all_fn: Callable[..., Any],
        ns_fn: Callable[..., Any],
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """Items of a namespaced resource in every scoped namespace (or all namespaces)."""
        prefix, _, resource = path.rpartition("/")
        scoped: list[str | None] = list(self.target.namespaces) or [None]
        for ns in scoped:
            call = f"GET {path}" if ns is None else f"GET {prefix}/namespaces/{ns}/{resource}"
            pages = self.s.pages_in(
                call,
                ns,
                everywhere=all_fn,
                namespaced=ns_fn,
                page_size=self.th.page_size,
                **kwargs,
            )
            for items, _more in pages:
                yield from items

    def _scope(self, namespace: str) -> str:
        return f"{self.target.label}/{namespace}"

    def _cmd(self, op_type: type[KubernetesOperation], **fields: Any) -> str | None:
        """A suggested command in this target's context (see bot.reports.suggestions)."""
        return suggestion(op_type, context=self.target.context, **fields)

    # ------------------------------------------------------------------ nodes
    def nodes(self) -> None:
        for node in self._pages("GET /api/v1/nodes", self.s.core.list_node):
            self.sink.count("nodes")
            name = str(node["metadata"]["name"])
            context = self.target.context
            describe = suggestion(DescribeNode, context=context, name=name)
            cordon = suggestion(CordonNode, context=context, name=name)
            drain = suggestion(DrainNode, context=context, name=name)
            conditions = {
                c.get("type"): c for c in (node.get("status") or {}).get("conditions") or []
            }
            ready = conditions.get("Ready") or {}
            if ready.get("status") != "True":
                self.sink.count("nodes_not_ready")
                self.sink.add(
                    Finding(
                        severity=Severity.CRITICAL,
                        source="kubernetes",
                        scope=self.target.label,
                        kind="node_not_ready",
                        subject=f"node/{name}",
                        title=f"Node {name} is NotReady",
                        detail=_clean(
                            f"{ready.get('reason') or 'no Ready condition'}: "
                            f"{ready.get('message') or ''}"
                        ),
                        next_step="Check the node's kubelet and network; pods on it are not "
                        "being managed. Cordon and drain it if it does not recover.",
                        commands=suggestions(describe, cordon, drain),
                    )
                )
            for kind in NODE_PRESSURE:
                cond = conditions.get(kind) or {}
                if cond.get("status") == "True":
                    self.sink.add(
                        Finding(
                            severity=Severity.WARNING,
                            source="kubernetes",
                            scope=self.target.label,
                            kind="node_pressure",
                            subject=f"node/{name}:{kind}",
                            title=f"Node {name} reports {kind}",
                            detail=_clean(cond.get("message") or ""),
                            next_step="Free resources on the node or move workloads off it; "
                            "the kubelet evicts pods under pressure.",
                            commands=suggestions(describe, cordon),
                        )
                    )

    # ------------------------------------------------------------------ pods
    def pods(self) -> None:
        for pod in self._each(
            "/api/v1/pods",
            self.s.core.list_pod_for_all_namespaces,
            self.s.core.list_namespaced_pod,
            field_selector="status.phase!=Succeeded",
        ):
            self.sink.count("pods")
            self._pod(pod)

    def _pod(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        status = pod.get("status") or {}
        ns, name = str(meta.get("namespace")), str(meta.get("name"))
        statuses = (status.get("initContainerStatuses") or []) + (
            status.get("containerStatuses") or []
        )
        deploy = _deployment_of(meta)
        logs_prev = self._cmd(PodLogs, name=name, namespace=ns, previous=True)
        describe = self._cmd(DescribePod, name=name, namespace=ns)
        rollback = self._cmd(RollbackDeployment, name=deploy, namespace=ns) if deploy else None

        def add(
            kind: str, sev: Severity, title: str, detail: str, step: str, cmds: list[str | None]
        ) -> None:
            self._pod_finding(
                ns=ns,
                name=name,
                kind=kind,
                severity=sev,
                title=title,
                detail=detail,
                step=step,
                commands=cmds,
            )

        restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
        for c in statuses:
            state = c.get("state") or {}
            waiting = state.get("waiting") or {}
            reason = waiting.get("reason")
            container = c.get("name", "?")
            if reason == "CrashLoopBackOff":
                add(
                    "pod_crashloop",
                    Severity.CRITICAL,
                    f"Pod {name} is in CrashLoopBackOff ({restarts} restarts)",
                    _join(f"container {container}", waiting.get("message")),
                    "Read the crashed container's last logs; if the crashes started with a "
                    "recent rollout, roll the deployment back."
                    if deploy
                    else "Read the crashed container's last logs.",
                    [logs_prev, describe, rollback],
                )
                return
            if reason in IMAGE_PULL_REASONS:
                add(
                    "pod_image_pull",
                    Severity.CRITICAL,
                    f"Pod {name} cannot pull its image ({reason})",
                    _join(
                        f"container {container} image {c.get('image') or '?'}",
                        waiting.get("message"),
                    ),
                    "Check the image name and tag and the registry credentials"
                    + ("; roll back if a rollout changed the image." if deploy else "."),
                    [describe, rollback],
                )
                return
            if reason in CONFIG_ERROR_REASONS:
                add(
                    "pod_config_error",
                    Severity.CRITICAL,
                    f"Pod {name} cannot start a container ({reason})",
                    _join(f"container {container}", waiting.get("message")),
                    "A referenced ConfigMap, Secret or setting is missing or wrong; see the "
                    "pod's events.",
                    [describe, rollback],
                )
                return
        terminated_error = next(
            (
                c
                for c in statuses
                if ((c.get("state") or {}).get("terminated") or {}).get("reason") == "Error"
                or ((c.get("state") or {}).get("terminated") or {}).get("exitCode", 0) not in (0,)
            ),
            None,
        )
        if status.get("phase") == "Failed" or terminated_error is not None:
            term = ((terminated_error or {}).get("state") or {}).get("terminated") or {}
            why = status.get("reason") or term.get("reason") or "Error"
            add(
                "pod_error",
                Severity.WARNING,
                f"Pod {name} failed ({why})",
                f"exit code {term.get('exitCode', '?')}; {status.get('message') or ''}",
                "Read its logs to see why it exited; delete the pod once understood if its "
                "controller should replace it.",
                [self._cmd(PodLogs, name=name, namespace=ns), describe],
            )
            return
        if status.get("phase") == "Pending":
            age = _age_seconds(meta.get("creationTimestamp"), self.now)
            if age is not None and age >= self.th.pending_after:
                sched: dict[str, Any] = next(
                    (
                        c
                        for c in status.get("conditions") or []
                        if c.get("type") == "PodScheduled" and c.get("status") == "False"
                    ),
                    {},
                )
                add(
                    "pod_pending",
                    Severity.WARNING,
                    f"Pod {name} has been Pending for {_human(age)}",
                    sched.get("message") or "not scheduled or its containers are not created",
                    "See why it is not scheduled or started (resources, node selectors, "
                    "volumes) in its events.",
                    [describe, self._cmd(ListEvents, namespace=ns, warnings_only=True)],
                )
                return
        if restarts >= self.th.restart_count and self._restarted_recently(statuses):
            add(
                "pod_restarts",
                Severity.WARNING,
                f"Pod {name} restarted {restarts} times",
                "restart counts over the last " + _human(self.th.period),
                "Read the previous container's logs to see why it exits (OOMKilled, failed "
                "probes, crashes).",
                [logs_prev, describe],
            )

    def _pod_finding(
        self,
        *,
        ns: str,
        name: str,
        kind: str,
        severity: Severity,
        title: str,
        detail: str,
        step: str,
        commands: list[str | None],
    ) -> None:
        self.sink.count(kind)
        self.sink.add(
            Finding(
                severity=severity,
                source="kubernetes",
                scope=self._scope(ns),
                kind=kind,
                subject=f"pod/{name}",
                title=title,
                detail=_clean(detail),
                next_step=step,
                commands=suggestions(*commands),
            )
        )

    def _restarted_recently(self, statuses: list[dict[str, Any]]) -> bool:
        """A restart within the period (true when the API does not say when)."""
        finished = [
            ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt") for c in statuses
        ]
        ages = [_age_seconds(f, self.now) for f in finished if f]
        return not ages or any(a is not None and a <= self.th.period for a in ages)

    # ------------------------------------------------------------------ deployments
    def deployments(self) -> None:
        for dep in self._each(
            "/apis/apps/v1/deployments",
            self.s.apps.list_deployment_for_all_namespaces,
            self.s.apps.list_namespaced_deployment,
        ):
            self.sink.count("deployments")
            self._deployment(dep)

    def _deployment(self, dep: dict[str, Any]) -> None:
        meta = dep.get("metadata") or {}
        ns, name = str(meta.get("namespace")), str(meta.get("name"))
        spec, status = dep.get("spec") or {}, dep.get("status") or {}
        wanted = int(spec.get("replicas", 1) or 0)
        available = int(status.get("availableReplicas") or 0)
        unavailable = int(status.get("unavailableReplicas") or max(0, wanted - available))
        progressing: dict[str, Any] = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {}
        )
        describe = self._cmd(DescribeDeployment, name=name, namespace=ns)
        rollback = self._cmd(RollbackDeployment, name=name, namespace=ns)
        if (
            progressing.get("status") == "False"
            or progressing.get("reason") == "ProgressDeadlineExceeded"
        ):
            why = progressing.get("reason") or "Progressing=False"
            self.sink.count("deployment_stalled")
            self.sink.add(
                Finding(
                    severity=Severity.CRITICAL,
                    source="kubernetes",
                    scope=self._scope(ns),
                    kind="deployment_stalled",
                    subject=f"deploy/{name}",
                    title=f"Rollout of {name} is stalled ({why})",
                    detail=_clean(
                        f"{available}/{wanted} available; {progressing.get('message') or ''}"
                    ),
                    next_step="The new ReplicaSet does not become ready; roll back to the "
                    "previous revision, then look at the new pods.",
                    commands=suggestions(rollback, describe),
                )
            )
            return
        if wanted > 0 and unavailable > 0:
            sev = Severity.CRITICAL if available == 0 else Severity.WARNING
            self.sink.count("deployment_unavailable")
            self.sink.add(
                Finding(
                    severity=sev,
                    source="kubernetes",
                    scope=self._scope(ns),
                    kind="deployment_unavailable",
                    subject=f"deploy/{name}",
                    title=_unavailable_title(name, wanted=wanted, unavailable=unavailable),
                    detail=f"{available}/{wanted} available",
                    next_step="Look at its pods to see why they are not ready; roll back if a "
                    "recent rollout caused it.",
                    commands=suggestions(describe, rollback),
                )
            )

    # ------------------------------------------------------------------ events
    def events(self) -> None:
        groups: dict[tuple[str, str], _EventGroup] = {}
        for ev in self._each(
            "/api/v1/events",
            self.s.core.list_event_for_all_namespaces,
            self.s.core.list_namespaced_event,
            field_selector="type=Warning",
        ):
            self.sink.count("warning_events_listed")
            when = (
                ev.get("lastTimestamp")
                or ev.get("eventTime")
                or (ev.get("metadata") or {}).get("creationTimestamp")
            )
            age = _age_seconds(when, self.now)
            if age is None or age > self.th.event_window:
                continue
            obj = ev.get("involvedObject") or {}
            key = (str(ev.get("reason") or "Unknown"), str(obj.get("kind") or "Object"))
            group = groups.get(key)
            if group is None:
                group = groups[key] = _EventGroup(reason=key[0], kind=key[1])
                group.sample = _clean(str(ev.get("message") or ""))
            group.events += 1
            group.occurrences += int(ev.get("count") or 1)
            if len(group.objects) < MAX_DISTINCT_OBJECTS:
                group.objects.add(f"{obj.get('namespace') or ''}/{obj.get('name') or '?'}")
            if len(group.namespaces) < MAX_DISTINCT_OBJECTS:
                group.namespaces.add(
                    str(obj.get("namespace") or (ev.get("metadata") or {}).get("namespace") or "")
                )
        self.sink.count("warning_event_groups", len(groups))
        for group in groups.values():
            self._event_finding(group)

    def _event_finding(self, g: _EventGroup) -> None:
        sev = Severity.WARNING if g.occurrences >= self.th.event_warning_count else Severity.INFO
        objects = len(g.objects)
        more = "+" if objects >= MAX_DISTINCT_OBJECTS else ""
        examples = ", ".join(sorted(o.split("/", 1)[1] for o in g.objects)[:MAX_EXAMPLES])
        namespaces = sorted(n for n in g.namespaces if n)
        if len(namespaces) == 1:
            events_cmd = self._cmd(ListEvents, namespace=namespaces[0], warnings_only=True)
        else:
            events_cmd = self._cmd(ListEvents, all_namespaces=True, warnings_only=True)
        self.sink.add(
            Finding(
                severity=sev,
                source="kubernetes",
                scope=self.target.label + (f"/{namespaces[0]}" if len(namespaces) == 1 else ""),
                kind="warning_events",
                subject=f"{g.kind}:{g.reason}",
                title=f"{g.occurrences} {g.reason} warnings on {objects}{more} "
                f"{g.kind}{'s' if objects != 1 else ''} in the last {_human(self.th.event_window)}",
                detail=f"e.g. {examples}: {g.sample}",
                next_step="Read the events to find the cause; they are grouped by reason "
                "and object kind.",
                commands=suggestions(events_cmd),
            )
        )


def _join(head: str, message: Any) -> str:
    return f"{head}: {message}" if message else head


def _deployment_of(meta: dict[str, Any]) -> str | None:
    """The deployment owning a pod through its ReplicaSet (name minus pod-template-hash)."""
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet" and ref.get("name"):
            rs = str(ref["name"])
            pod_hash = (meta.get("labels") or {}).get("pod-template-hash")
            if pod_hash and rs.endswith("-" + pod_hash):
                return rs[: -len(pod_hash) - 1]
            base, sep, _ = rs.rpartition("-")
            return base if sep else None
        if ref.get("kind") == "Deployment" and ref.get("name"):
            return str(ref["name"])
    return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _age_seconds(value: Any, now: datetime) -> float | None:
    when = _parse_time(value)
    return None if when is None else (now - when).total_seconds()


def _human(seconds: float) -> str:
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _clean(text: str) -> str:
    """Untrusted cluster text: secrets redacted, one line, short."""
    one_line = " ".join(redact(text).split())
    return truncate(one_line, max_chars=300, keep="head")[0]


def _unavailable_title(name: str, *, wanted: int, unavailable: int) -> str:
    """During a surge rollout old and new pods together can outnumber the desired count, so
    "4 of 3 unavailable" would read as nonsense: say both numbers and why."""
    if unavailable > wanted:
        return (
            f"Deployment {name}: {wanted} desired, {unavailable} unavailable (rollout in progress)"
        )
    return f"Deployment {name} has {unavailable} of {wanted} replicas unavailable"
