"""Read operations: list/describe pods and deployments, pod logs, events.

Each function returns a successful (or NO_DATA) Result; API failures raise KubeError, which the
backend turns into an error Result with a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bot.backends.base import Result, Status
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_render import (
    container_spec,
    deployment_row,
    event_row,
    images,
    meta,
    owned_by,
    pod_detail,
    pod_row,
    revision_of,
    safe_annotations,
    selector_string,
    sort_events,
    table,
)
from bot.catalog.kubernetes_ops import (
    DescribeDeployment,
    DescribePod,
    ListDeployments,
    ListEvents,
    ListPods,
    PodLogs,
)
from bot.config import Settings
from bot.redact import redact, redact_data, truncate

MAX_LIST_ITEMS = 5000
MAX_EVENTS_SCANNED = 20000
LOG_LIMIT_FLOOR_BYTES = 4 * 1024 * 1024
"""A pod log is requested with limitBytes = max(64 x max_output_chars, this), never whole."""


def path(
    *,
    namespace: str | None,
    resource: str,
    name: str | None = None,
    group: str = "",
    sub: str | None = None,
    query: dict[str, Any] | None = None,
) -> str:
    """The REST path of a call, as the API server sees it (for Result.call)."""
    base = f"/apis/{group}/v1" if group else "/api/v1"
    parts = [base] + ([f"namespaces/{namespace}"] if namespace else []) + [resource]
    parts += [name] if name else []
    parts += [sub] if sub else []
    text = "/".join(parts)
    clean = {k: v for k, v in (query or {}).items() if v not in (None, False, "")}
    return f"{text}?{urlencode(clean)}" if clean else text


def _ns(op: ListPods | ListEvents | ListDeployments) -> str | None:
    return None if op.all_namespaces else op.namespace


def _scope(op: ListPods | ListEvents | ListDeployments) -> str:
    return "any namespace" if op.all_namespaces else f"namespace {op.namespace}"


def list_pods(s: KubeSession, op: ListPods) -> Result:
    ns = _ns(op)
    query = {"labelSelector": op.label_selector}
    call = "GET " + path(namespace=ns, resource="pods", query=query)
    items, cut = s.list_in(
        call,
        ns,
        everywhere=s.core.list_pod_for_all_namespaces,
        namespaced=s.core.list_namespaced_pod,
        max_items=MAX_LIST_ITEMS,
        label_selector=op.label_selector,
    )
    rows = [pod_row(p) for p in items]
    if not rows:
        sel = f" matching {op.label_selector}" if op.label_selector else ""
        return _no_data(call, "pods", f"No pods{sel} in {_scope(op)}.")
    text = _scoped_table(
        ns,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        rows,
        lambda r: [r["name"], r["ready"], r["status"], str(r["restarts"]), r["age"]],
    )
    return _table_result(call, {"pods": rows, "count": len(rows)}, text, cut)


def list_deployments(s: KubeSession, op: ListDeployments) -> Result:
    ns = _ns(op)
    call = "GET " + path(
        namespace=ns,
        resource="deployments",
        group="apps",
        query={"labelSelector": op.label_selector},
    )
    items, cut = s.list_in(
        call,
        ns,
        everywhere=s.apps.list_deployment_for_all_namespaces,
        namespaced=s.apps.list_namespaced_deployment,
        max_items=MAX_LIST_ITEMS,
        label_selector=op.label_selector,
    )
    rows = [deployment_row(d) for d in items]
    if not rows:
        return _no_data(call, "deployments", f"No deployments in {_scope(op)}.")
    text = _scoped_table(
        ns,
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "REVISION", "IMAGES", "AGE"],
        rows,
        lambda r: [
            r["name"],
            r["ready"],
            str(r["up_to_date"]),
            str(r["available"]),
            str(r["revision"] or "-"),
            ",".join(r["images"]),
            r["age"],
        ],
    )
    return _table_result(call, {"deployments": rows, "count": len(rows)}, text, cut)


def _no_data(call: str, key: str, text: str) -> Result:
    return Result(status=Status.NO_DATA, call=call, data={key: []}, text=text)


def _scoped_table(
    ns: str | None,
    headers: list[str],
    rows: list[dict[str, Any]],
    cells: Callable[[dict[str, Any]], list[str]],
) -> str:
    """A table with a leading NAMESPACE column when the list spans every namespace."""
    every = ns is None
    return table(
        (["NAMESPACE"] if every else []) + headers,
        [([r["namespace"]] if every else []) + cells(r) for r in rows],
    )


def _table_result(call: str, data: dict[str, Any], text: str, cut: bool) -> Result:
    if cut:
        text += f"\n… [only the first {MAX_LIST_ITEMS} shown; narrow it with -l or a namespace]"
    return Result(status=Status.SUCCESS, call=call, data=data, text=text, truncated=cut)


def _events_for(
    s: KubeSession, *, namespace: str, kind: str, name: str, limit: int = 10
) -> tuple[list[dict[str, Any]], str | None]:
    """Recent events about one object; (rows, note). Missing rights to events are not fatal."""
    selector = f"involvedObject.name={name},involvedObject.kind={kind}"
    call = "GET " + path(namespace=namespace, resource="events", query={"fieldSelector": selector})
    try:
        items, _ = s.list_all(
            call,
            s.core.list_namespaced_event,
            namespace,
            max_items=MAX_LIST_ITEMS,
            field_selector=selector,
        )
    except KubeError as err:
        return [], f"events not shown: {err.message}"
    return sort_events([event_row(e) for e in items])[:limit], None


def _event_lines(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Events: none"
    return "Events:\n" + table(
        ["LAST SEEN", "TYPE", "REASON", "MESSAGE"],
        [[r["last_seen"], r["type"], r["reason"], r["message"]] for r in rows],
    )


def describe_pod(s: KubeSession, op: DescribePod) -> Result:
    call = "GET " + path(namespace=op.namespace, resource="pods", name=op.name)
    pod = s.json(
        call,
        s.core.read_namespaced_pod,
        op.name,
        op.namespace,
        what=f"pod {op.namespace}/{op.name}",
    )
    detail = pod_detail(pod)
    events, note = _events_for(s, namespace=op.namespace, kind="Pod", name=op.name)
    detail["events"] = events
    lines = [
        f"Pod {op.namespace}/{op.name}: {detail['status']} (phase {detail['phase']}), "
        f"ready {detail['ready']}, restarts {detail['restarts']}, node {detail['node'] or '-'}",
        f"Owner: {detail['owner'] or 'none (not recreated if deleted)'}",
    ]
    for c in detail["containers"]:
        lines.append(
            f"- container {c['name']}: {c['image']}, {c['state']}, "
            f"ready={c['ready']}, restarts={c['restarts']}"
        )
        if c["last_terminated"]:
            lines.append(f"  last terminated: {c['last_terminated']}")
        if c["env"]:
            lines.append(f"  env: {', '.join(c['env'])}")
    lines.append(_event_lines(events) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


def pod_logs(s: KubeSession, op: PodLogs, *, settings: Settings) -> Result:
    query = {
        "container": op.container,
        "tailLines": op.tail_lines,
        "sinceSeconds": op.since_seconds,
        "previous": "true" if op.previous else None,
    }
    call = "GET " + path(
        namespace=op.namespace, resource="pods", name=op.name, sub="log", query=query
    )
    limit_bytes = max(settings.max_output_chars * 64, LOG_LIMIT_FLOOR_BYTES)
    kwargs: dict[str, Any] = {"tail_lines": op.tail_lines, "limit_bytes": limit_bytes}
    if op.container:
        kwargs["container"] = op.container
    if op.since_seconds:
        kwargs["since_seconds"] = op.since_seconds
    if op.previous:
        kwargs["previous"] = True
    text = s.text(
        call,
        s.core.read_namespaced_pod_log,
        op.name,
        op.namespace,
        what=f"pod {op.namespace}/{op.name}",
        **kwargs,
    )
    data = {
        "pod": op.name,
        "namespace": op.namespace,
        "container": op.container,
        "lines": len(text.splitlines()),
    }
    if not text.strip():
        return Result(
            status=Status.NO_DATA,
            call=call,
            data=data,
            text=f"The log of pod {op.namespace}/{op.name} is empty.",
        )
    shown, cut = truncate(redact(text.rstrip("\n")), max_chars=settings.max_output_chars)
    cut = cut or len(text.encode()) >= limit_bytes  # the server stopped at limitBytes
    return Result(status=Status.SUCCESS, call=call, data=data, text=shown, truncated=cut)


def list_events(s: KubeSession, op: ListEvents) -> Result:
    ns = _ns(op)
    fields = [f"involvedObject.name={op.object_name}"] if op.object_name else []
    fields += ["type=Warning"] if op.warnings_only else []
    selector = ",".join(fields) or None
    call = "GET " + path(namespace=ns, resource="events", query={"fieldSelector": selector})
    items, cut = s.list_in(
        call,
        ns,
        everywhere=s.core.list_event_for_all_namespaces,
        namespaced=s.core.list_namespaced_event,
        max_items=MAX_EVENTS_SCANNED,
        field_selector=selector,
    )
    rows = sort_events([event_row(e) for e in items])
    shown = rows[: op.limit]
    if not shown:
        about = f" about {op.object_name}" if op.object_name else ""
        kind = "warning events" if op.warnings_only else "events"
        return _no_data(call, "events", f"No {kind}{about} in {_scope(op)}.")
    text = _scoped_table(
        ns,
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        shown,
        lambda r: [r["last_seen"], r["type"], r["reason"], r["object"], r["message"]],
    )
    more = len(rows) - len(shown)
    if more > 0:
        text += f"\n… [{more} more events not shown]"
    return Result(
        status=Status.SUCCESS,
        call=call,
        text=text,
        truncated=cut or more > 0,
        data={"events": shown, "count": len(shown), "total": len(rows)},
    )


def replicasets_of(s: KubeSession, dep: dict[str, Any]) -> list[dict[str, Any]]:
    """The deployment's ReplicaSets (by selector and owner uid), newest revision first."""
    ns = meta(dep).get("namespace")
    selector = selector_string(dep) or None
    call = "GET " + path(
        namespace=ns, resource="replicasets", group="apps", query={"labelSelector": selector}
    )
    items, _ = s.list_all(
        call,
        s.apps.list_namespaced_replica_set,
        ns,
        max_items=MAX_LIST_ITEMS,
        label_selector=selector,
    )
    owned = [rs for rs in items if owned_by(rs, meta(dep).get("uid"))]
    return sorted(owned, key=lambda rs: revision_of(rs) or 0, reverse=True)


def describe_deployment(s: KubeSession, op: DescribeDeployment) -> Result:
    call = "GET " + path(namespace=op.namespace, resource="deployments", name=op.name, group="apps")
    dep = s.json(
        call,
        s.apps.read_namespaced_deployment,
        op.name,
        op.namespace,
        what=f"deployment {op.namespace}/{op.name}",
    )
    row = deployment_row(dep)
    spec = dep.get("spec") or {}
    template = spec.get("template") or {}
    history: list[dict[str, Any]] = [
        {
            "revision": revision_of(rs),
            "replicaset": meta(rs).get("name"),
            "images": images((rs.get("spec") or {}).get("template") or {}),
            "replicas": int((rs.get("status") or {}).get("replicas") or 0),
        }
        for rs in replicasets_of(s, dep)
    ]
    events, note = _events_for(s, namespace=op.namespace, kind="Deployment", name=op.name)
    detail: dict[str, Any] = {
        **row,
        "strategy": (spec.get("strategy") or {}).get("type", "RollingUpdate"),
        "selector": selector_string(dep),
        "paused": bool(spec.get("paused")),
        "annotations": safe_annotations(dep),
        "containers": [
            container_spec(c) for c in (template.get("spec") or {}).get("containers") or []
        ],
        "conditions": [
            {"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason")}
            for c in (dep.get("status") or {}).get("conditions") or []
        ],
        "history": history,
        "events": events,
    }
    lines = [
        f"Deployment {op.namespace}/{op.name}: ready {row['ready']}, "
        f"up-to-date {row['up_to_date']}, available {row['available']}, "
        f"revision {row['revision'] or '-'}",
        f"Selector: {detail['selector'] or '-'}; strategy {detail['strategy']}"
        + ("; PAUSED" if detail["paused"] else ""),
    ]
    conditions = [
        f"Condition {cond['type']}={cond['status']} ({cond['reason'] or '-'})"
        for cond in detail["conditions"]
    ]
    return workload_description(s, detail, lines, conditions, note=note)


def workload_description(
    s: KubeSession,
    detail: dict[str, Any],
    head: list[str],
    after_containers: list[str],
    *,
    note: str | None,
) -> Result:
    """A workload's describe answer (Deployment, StatefulSet, DaemonSet): `head`, one line per
    container, `after_containers`, the revision history and the events; redacted."""
    lines = list(head)
    for c in detail["containers"]:
        lines.append(
            f"- container {c['name']}: {c['image']}"
            + (f"; env: {', '.join(c['env'])}" if c["env"] else "")
        )
    lines += after_containers
    if detail["history"]:
        lines.append(
            "History: "
            + "; ".join(f"rev {h['revision']}: {','.join(h['images'])}" for h in detail["history"])
        )
    lines.append(_event_lines(detail["events"]) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )
