"""Nodes: list, describe, cordon, uncordon and drain (like `kubectl drain`).

Drain cordons the node, then evicts each evictable pod through the Eviction API so
PodDisruptionBudgets are honoured; a 429 (a budget allows no disruption now) is retried every
few seconds until the drain's timeout. DaemonSet pods and mirror pods are skipped; pods with
emptyDir data are refused unless `delete_emptydir_data` is set (as kubectl does).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client.exceptions import ApiException

from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import DRY_RUN, KubeSession
from bot.backends.kubernetes_errors import KubeError, from_api_exception
from bot.backends.kubernetes_nodes_render import node_detail, node_row, pod_on_node, selects
from bot.backends.kubernetes_reads import _event_lines as event_lines
from bot.backends.kubernetes_reads import _events_for as events_for
from bot.backends.kubernetes_render import meta, table
from bot.backends.kubernetes_rest import (
    MERGE_PATCH,
    _send,
    call_text,
    list_all,
    policy_version,
    request,
)
from bot.catalog.jobs_nodes_ops import CordonNode, DescribeNode, DrainNode, ListNodes, UncordonNode
from bot.redact import redact, redact_data

MAX_ITEMS = 5000
EVICTION_RETRY_SECONDS = 5.0
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def _node_path(name: str | None = None) -> str:
    return "/api/v1/nodes" + (f"/{name}" if name else "")


def _read_node(s: KubeSession, name: str) -> dict[str, Any]:
    return request(s, "GET", _node_path(name), what=f"node {name}")


def _pods_on(s: KubeSession, name: str) -> list[dict[str, Any]]:
    items, _ = list_all(
        s, "/api/v1/pods", max_items=MAX_ITEMS, query={"fieldSelector": f"spec.nodeName={name}"}
    )
    return items


# ---------------------------------------------------------------- reads
def list_nodes(s: KubeSession, op: ListNodes) -> Result:
    items, cut = list_all(
        s, _node_path(), max_items=MAX_ITEMS, query={"labelSelector": op.label_selector}
    )
    call = "; ".join(s.calls)
    rows = [node_row(n) for n in items]
    if not rows:
        return Result(status=Status.NO_DATA, call=call, data={"nodes": []}, text="No nodes.")
    text = table(
        ["NAME", "STATUS", "ROLES", "TAINTS", "VERSION", "AGE"],
        [
            [r["name"], r["status"], r["roles"], str(len(r["taints"])), r["version"], r["age"]]
            for r in rows
        ],
    )
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={"nodes": rows, "count": len(rows)},
        text=text,
        truncated=cut,
    )


def describe_node(s: KubeSession, op: DescribeNode) -> Result:
    node = _read_node(s, op.name)
    detail = node_detail(node)
    pods = [pod_on_node(p) for p in _pods_on(s, op.name)]
    events, note = events_for(s, namespace="default", kind="Node", name=op.name)
    detail.update(pods=pods, events=events)
    lines = [
        f"Node {op.name}: {detail['status']}, roles {detail['roles']}, kubelet {detail['version']}",
        "Taints: " + (", ".join(detail["taints"]) or "none"),
        "Allocatable: " + ", ".join(f"{k}={v}" for k, v in detail["allocatable"].items()),
    ]
    lines += [
        f"Condition {c['type']}={c['status']} ({c['reason'] or '-'}): {c['message'] or ''}".rstrip()
        for c in detail["conditions"]
    ]
    lines.append(
        f"Pods ({len(pods)}):\n"
        + table(
            ["NAMESPACE", "NAME", "PHASE", "OWNER"],
            [[p["namespace"], p["name"], p["phase"], p["owner"] or "-"] for p in pods],
        )
        if pods
        else "Pods: none"
    )
    lines.append(event_lines(events) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


# ---------------------------------------------------------------- cordon / uncordon
def _set_unschedulable(s: KubeSession, name: str, value: bool, *, dry_run: bool) -> bool:
    answer = request(
        s,
        "PATCH",
        _node_path(name),
        query={"dryRun": DRY_RUN} if dry_run else None,
        body={"spec": {"unschedulable": value}},
        content_type=MERGE_PATCH,
        what=f"node {name}",
    )
    return bool((answer.get("spec") or {}).get("unschedulable"))


def _unschedulable(node: dict[str, Any]) -> bool:
    return bool((node.get("spec") or {}).get("unschedulable"))


def preview_cordon(s: KubeSession, op: CordonNode | UncordonNode) -> Preview:
    before = _unschedulable(_read_node(s, op.name))
    after = _set_unschedulable(s, op.name, isinstance(op, CordonNode), dry_run=True)
    dry = Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        text=f"server-side dry run accepted: unschedulable {before} -> {after}",
    )
    note = "no change: it is already in that state" if before == after else None
    if note is None and isinstance(op, CordonNode):
        note = "pods already on the node keep running; new pods go elsewhere"
    return Preview(
        current={"unschedulable": before}, desired={"unschedulable": after}, dry_run=dry, note=note
    )


def execute_cordon(s: KubeSession, op: CordonNode | UncordonNode) -> Result:
    before = _unschedulable(_read_node(s, op.name))
    after = _set_unschedulable(s, op.name, isinstance(op, CordonNode), dry_run=False)
    verb = "Cordoned" if after else "Uncordoned"
    same = " (it already was)" if before == after else ""
    return Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        before={"unschedulable": before},
        after={"unschedulable": after},
        data={"node": op.name, "unschedulable": after},
        text=f"{verb} node {op.name}{same}.",
    )


# ---------------------------------------------------------------- drain
@dataclass
class DrainPlan:
    """The node's pods sorted the way kubectl drain sorts them."""

    evict: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ns/name, why)
    refused: list[tuple[str, str]] = field(default_factory=list)  # blocks the whole drain


def _ref(pod: dict[str, Any]) -> str:
    return f"{meta(pod).get('namespace')}/{meta(pod).get('name')}"


def drain_plan(pods: list[dict[str, Any]], *, delete_emptydir_data: bool) -> DrainPlan:
    plan = DrainPlan()
    for pod in pods:
        m = meta(pod)
        if m.get("deletionTimestamp"):
            continue  # already terminating
        controller = next((r for r in m.get("ownerReferences") or [] if r.get("controller")), None)
        if MIRROR_ANNOTATION in (m.get("annotations") or {}):
            plan.skipped.append((_ref(pod), "mirror pod (managed by the kubelet)"))
        elif controller is not None and controller.get("kind") == "DaemonSet":
            plan.skipped.append((_ref(pod), f"DaemonSet pod (daemonset/{controller.get('name')})"))
        elif controller is None and (pod.get("status") or {}).get("phase") not in (
            "Succeeded",
            "Failed",
        ):
            plan.refused.append(
                (
                    _ref(pod),
                    "not managed by a controller: it would not come back; delete it "
                    "explicitly if that is intended",
                )
            )
        elif not delete_emptydir_data and any(
            "emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []
        ):
            plan.refused.append(
                (_ref(pod), "has emptyDir data that eviction deletes; add --delete-emptydir-data")
            )
        else:
            plan.evict.append(pod)
    return plan


def _plan_for(s: KubeSession, op: DrainNode) -> tuple[bool, DrainPlan]:
    before = _unschedulable(_read_node(s, op.name))
    return before, drain_plan(_pods_on(s, op.name), delete_emptydir_data=op.delete_emptydir_data)


def _refusal(s: KubeSession, op: DrainNode, plan: DrainPlan) -> KubeError:
    lines = "; ".join(f"{ref}: {why}" for ref, why in plan.refused)
    return KubeError(
        kind=ErrorKind.INVALID,
        call="; ".join(s.calls),
        message=f"cannot drain node {op.name}; nothing was changed. {len(plan.refused)} pod(s) "
        f"cannot be evicted safely: {lines}",
    )


def preview_drain(s: KubeSession, op: DrainNode) -> Preview:
    before, plan = _plan_for(s, op)
    if plan.refused:
        raise _refusal(s, op, plan)
    after = _set_unschedulable(s, op.name, True, dry_run=True)
    dry = Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        text=f"server-side dry run of the cordon accepted (unschedulable {before} -> {after}); "
        "PodDisruptionBudgets are checked at each eviction",
    )
    return Preview(
        current={"unschedulable": before, "pods": len(plan.evict) + len(plan.skipped)},
        desired={
            "unschedulable": True,
            "evict": [_ref(p) for p in plan.evict],
            "skip": [f"{ref} ({why})" for ref, why in plan.skipped],
        },
        dry_run=dry,
        note=f"evicts {len(plan.evict)} pod(s) within {op.timeout_seconds}s; undo uncordons the "
        "node but does not bring evicted pods back (their controllers recreate them elsewhere)",
    )


def _budget_names(s: KubeSession, pod: dict[str, Any], version: str) -> list[str]:
    ns = meta(pod).get("namespace")
    try:
        budgets, _ = list_all(
            s, f"/apis/policy/{version}/namespaces/{ns}/poddisruptionbudgets", max_items=MAX_ITEMS
        )
    except KubeError:
        return []
    labels = meta(pod).get("labels") or {}
    return [str(meta(b).get("name")) for b in budgets if selects(b, labels)]


def _evict(s: KubeSession, pod: dict[str, Any], version: str) -> KubeError | None:
    """One eviction attempt, not retried here (the drain loop retries 429s until its deadline)."""
    ns, name = meta(pod).get("namespace"), meta(pod).get("name")
    path = f"/api/v1/namespaces/{ns}/pods/{name}/eviction"
    call = call_text("POST", path)
    s.calls.append(call)
    body = {
        "apiVersion": f"policy/{version}",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns},
    }
    try:
        _send(s.api_client, "POST", path, body=body, _request_timeout=s.timeout)
    except ApiException as exc:
        return from_api_exception(exc, call=call, what=f"pod {ns}/{name}")
    except OSError as exc:  # a dropped connection: report it for this pod
        return KubeError(kind=ErrorKind.TEMPORARY, message=str(exc), call=call)
    return None


def execute_drain(s: KubeSession, op: DrainNode) -> Result:
    before, plan = _plan_for(s, op)
    if plan.refused:
        raise _refusal(s, op, plan)
    version = policy_version(s)
    _set_unschedulable(s, op.name, True, dry_run=False)
    deadline = time.monotonic() + op.timeout_seconds
    pending = list(plan.evict)
    evicted: list[str] = []
    failed: dict[str, str] = {}
    while pending:
        blocked: list[dict[str, Any]] = []
        for pod in pending:
            error = _evict(s, pod, version)
            if error is None or error.kind == ErrorKind.NOT_FOUND:
                evicted.append(_ref(pod))
                failed.pop(_ref(pod), None)
            elif error.status == 429:
                names = _budget_names(s, pod, version)
                failed[_ref(pod)] = (
                    f"blocked by PodDisruptionBudget {', '.join(names)}"
                    if names
                    else "blocked by a PodDisruptionBudget (429)"
                )
                blocked.append(pod)
            else:
                failed[_ref(pod)] = error.message
        pending = blocked
        if not pending or time.monotonic() + EVICTION_RETRY_SECONDS > deadline:
            break
        time.sleep(EVICTION_RETRY_SECONDS)
    lines = [f"Cordoned node {op.name}; evicted {len(evicted)} pod(s)."]
    lines += [f"- evicted {ref}" for ref in evicted]
    lines += [f"- skipped {ref}: {why}" for ref, why in plan.skipped]
    lines += [f"- NOT evicted {ref}: {why}" for ref, why in failed.items()]
    data = {
        "node": op.name,
        "evicted": evicted,
        "skipped": [{"pod": r, "reason": w} for r, w in plan.skipped],
        "not_evicted": [{"pod": r, "reason": w} for r, w in failed.items()],
        "eviction_api": f"policy/{version}",
    }
    result = Result(
        status=Status.SUCCESS,
        call="; ".join(dict.fromkeys(s.calls)),
        before={"unschedulable": before},
        after={"unschedulable": True, "evicted": len(evicted)},
        data=data,
        text=redact("\n".join(lines)),
    )
    if failed:
        result.status = Status.ERROR
        result.error_kind = ErrorKind.CONFLICT
        result.error = redact(
            f"drain of node {op.name} incomplete after {op.timeout_seconds}s: "
            f"{len(failed)} pod(s) not evicted; "
            + "; ".join(f"{r}: {w}" for r, w in failed.items())
        )
        result.hint = (
            f"the node stays cordoned; retry the drain later, or `uncordon node/{op.name}`"
        )
    return result
