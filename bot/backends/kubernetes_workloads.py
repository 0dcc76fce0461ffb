"""StatefulSets and DaemonSets: list, describe, scale (StatefulSets), rollout restart and
rollback through their ControllerRevisions, the way kubectl does it.

Both keep their pod-template history in ControllerRevisions owned by the workload. `kubectl
rollout undo` patches the workload with the chosen revision's `data` (a strategic-merge patch of
`spec.template`); the controller then renumbers that revision to the newest, so the revision a
restart or rollback left is still there, under its number, for undo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.backends import kubernetes_scale as scaling
from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import DRY_RUN, KubeSession, with_dry_run
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_reads import (
    MAX_LIST_ITEMS,
    _events_for,
    path,
    workload_description,
)
from bot.backends.kubernetes_render import (
    RESTARTED_AT_ANNOTATION,
    container_spec,
    images,
    meta,
    owned_by,
    safe_annotations,
    selector_string,
    table,
)
from bot.backends.kubernetes_workloads_render import (
    change_cause,
    daemonset_row,
    revision_template,
    statefulset_row,
)
from bot.catalog.workload_ops import (
    DescribeDaemonSet,
    DescribeStatefulSet,
    ListDaemonSets,
    ListStatefulSets,
    RestartDaemonSet,
    RestartStatefulSet,
    RollbackDaemonSet,
    RollbackStatefulSet,
    ScaleStatefulSet,
)

SETTLE_SECONDS = 10.0  # how long restart/rollback wait for the controller to see the last change
SETTLE_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Workload:
    """How one workload type is reached: its kind, REST resource and client method stem."""

    kind: str  # StatefulSet
    word: str  # statefulset
    resource: str  # statefulsets
    stem: str  # stateful_set: AppsV1Api.read_namespaced_stateful_set ...

    def method(self, s: KubeSession, pattern: str) -> Any:
        return getattr(s.apps, pattern.format(self.stem))

    def path(self, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        return path(namespace=namespace, resource=self.resource, name=name, group="apps", sub=sub)


STATEFULSET = Workload("StatefulSet", "statefulset", "statefulsets", "stateful_set")
DAEMONSET = Workload("DaemonSet", "daemonset", "daemonsets", "daemon_set")
DEPLOYMENT = Workload("Deployment", "deployment", "deployments", "deployment")

Restart = RestartStatefulSet | RestartDaemonSet
Rollback = RollbackStatefulSet | RollbackDaemonSet


def _workload_of(op: Any) -> Workload:
    return DAEMONSET if "daemonset" in op.kind else STATEFULSET


def read(s: KubeSession, w: Workload, namespace: str, name: str) -> dict[str, Any]:
    return s.json(
        "GET " + w.path(namespace, name),
        w.method(s, "read_namespaced_{}"),
        name,
        namespace,
        what=f"{w.word} {namespace}/{name}",
    )


def settled(s: KubeSession, w: Workload, namespace: str, name: str) -> dict[str, Any]:
    """The workload once its controller has seen its latest spec (observedGeneration), so its
    ControllerRevisions include the last change; at most SETTLE_SECONDS, then refuse."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        obj = read(s, w, namespace, name)
        generation = int(meta(obj).get("generation") or 0)
        observed = int((obj.get("status") or {}).get("observedGeneration") or 0)
        if observed >= generation:
            return obj
        if time.monotonic() >= deadline:
            raise KubeError(
                kind=ErrorKind.TEMPORARY,
                call="; ".join(s.calls),
                message=f"the {w.word} controller has not yet recorded the last change of "
                f"{w.word} {namespace}/{name} (generation {generation}, observed {observed}) "
                f"after {SETTLE_SECONDS:g}s; is kube-controller-manager running?",
                retryable=True,
            )
        time.sleep(SETTLE_POLL_SECONDS)


def revisions_of(s: KubeSession, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The workload's ControllerRevisions (by selector and owner uid), newest first."""
    ns = meta(obj).get("namespace")
    selector = selector_string(obj) or None
    call = "GET " + path(
        namespace=ns,
        resource="controllerrevisions",
        group="apps",
        query={"labelSelector": selector},
    )
    items, _ = s.list_all(
        call,
        s.apps.list_namespaced_controller_revision,
        ns,
        max_items=MAX_LIST_ITEMS,
        label_selector=selector,
    )
    owned = [r for r in items if owned_by(r, meta(obj).get("uid"))]
    return sorted(owned, key=lambda r: int(r.get("revision") or 0), reverse=True)


def _number(revision: dict[str, Any]) -> int:
    return int(revision.get("revision") or 0)


# ---------------------------------------------------------------- reads
def _list(s: KubeSession, w: Workload, op: ListStatefulSets | ListDaemonSets) -> Result:
    ns = None if op.all_namespaces else op.namespace
    call = "GET " + path(
        namespace=ns, resource=w.resource, group="apps", query={"labelSelector": op.label_selector}
    )
    items, cut = s.list_in(
        call,
        ns,
        everywhere=w.method(s, "list_{}_for_all_namespaces"),
        namespaced=w.method(s, "list_namespaced_{}"),
        max_items=MAX_LIST_ITEMS,
        label_selector=op.label_selector,
    )
    scope = "any namespace" if ns is None else f"namespace {ns}"
    if not items:
        return Result(
            status=Status.NO_DATA,
            call=call,
            data={w.resource: []},
            text=f"No {w.resource} in {scope}.",
        )
    if w is STATEFULSET:
        rows = [statefulset_row(i) for i in items]
        headers = ["NAME", "READY", "UPDATED", "IMAGES", "AGE"]
        cells = [
            [r["name"], r["ready"], str(r["updated"]), ",".join(r["images"]), r["age"]]
            for r in rows
        ]
    else:
        rows = [daemonset_row(i) for i in items]
        headers = [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "IMAGES",
            "AGE",
        ]
        cells = [
            [r["name"]]
            + [str(r[k]) for k in ("desired", "current", "ready", "updated", "available")]
            + [",".join(r["images"]), r["age"]]
            for r in rows
        ]
    if ns is None:
        headers = ["NAMESPACE", *headers]
        cells = [[r["namespace"], *c] for r, c in zip(rows, cells, strict=True)]
    text = table(headers, cells)
    if cut:
        text += f"\n… [only the first {MAX_LIST_ITEMS} shown; narrow it with -l or a namespace]"
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={w.resource: rows, "count": len(rows)},
        text=text,
        truncated=cut,
    )


def list_statefulsets(s: KubeSession, op: ListStatefulSets) -> Result:
    return _list(s, STATEFULSET, op)


def list_daemonsets(s: KubeSession, op: ListDaemonSets) -> Result:
    return _list(s, DAEMONSET, op)


def history_rows(s: KubeSession, obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "revision": _number(r),
            "controllerrevision": meta(r).get("name"),
            "change_cause": change_cause(r),
            "images": images(revision_template(r)),
        }
        for r in revisions_of(s, obj)
    ]


def _describe(s: KubeSession, w: Workload, op: DescribeStatefulSet | DescribeDaemonSet) -> Result:
    obj = read(s, w, op.namespace, op.name)
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    row = statefulset_row(obj) if w is STATEFULSET else daemonset_row(obj)
    history = history_rows(s, obj)
    events, note = _events_for(s, namespace=op.namespace, kind=w.kind, name=op.name)
    detail: dict[str, Any] = {
        **row,
        "selector": selector_string(obj),
        "update_strategy": (spec.get("updateStrategy") or {}).get("type", "RollingUpdate"),
        "annotations": safe_annotations(obj),
        "containers": [
            container_spec(c) for c in (template.get("spec") or {}).get("containers") or []
        ],
        "history": history,
        "events": events,
    }
    if w is STATEFULSET:
        head = (
            f"StatefulSet {op.namespace}/{op.name}: ready {row['ready']}, updated "
            f"{row['updated']}, revision {row['update_revision'] or '-'}"
        )
    else:
        head = (
            f"DaemonSet {op.namespace}/{op.name}: desired {row['desired']}, current "
            f"{row['current']}, ready {row['ready']}, up-to-date {row['updated']}, "
            f"available {row['available']}"
        )
    lines = [head, f"Selector: {detail['selector'] or '-'}; strategy {detail['update_strategy']}"]
    return workload_description(s, detail, lines, [], note=note)


def describe_statefulset(s: KubeSession, op: DescribeStatefulSet) -> Result:
    return _describe(s, STATEFULSET, op)


def describe_daemonset(s: KubeSession, op: DescribeDaemonSet) -> Result:
    return _describe(s, DAEMONSET, op)


# ---------------------------------------------------------------- scale (StatefulSets)
def _ordinal_note(op: ScaleStatefulSet) -> Callable[[int], str]:
    """StatefulSet pods come and go in ordinal order: say which."""

    def note(current: int) -> str:
        if op.replicas < current:
            first, last = f"{op.name}-{op.replicas}", f"{op.name}-{current - 1}"
            return f"pods {first} to {last} are removed, highest first"
        return f"pods {op.name}-{current} to {op.name}-{op.replicas - 1} are added in order"

    return note


def preview_scale_statefulset(s: KubeSession, op: ScaleStatefulSet) -> Preview:
    return scaling.preview_scale(s, scaling.STATEFULSETS, op, note=_ordinal_note(op))


def execute_scale_statefulset(s: KubeSession, op: ScaleStatefulSet) -> Result:
    return scaling.execute_scale(s, scaling.STATEFULSETS, op)


# ---------------------------------------------------------------- restart and rollback
@dataclass
class _Plan:
    current: dict[str, Any]
    desired: dict[str, Any]
    call: str
    body: dict[str, Any]
    note: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _restart_plan(s: KubeSession, op: Restart, stamp: str) -> _Plan:
    w = _workload_of(op)
    obj = settled(s, w, op.namespace, op.name)
    template = (obj.get("spec") or {}).get("template") or {}
    history = revisions_of(s, obj)
    revision = _number(history[0]) if history else None
    previous = ((template.get("metadata") or {}).get("annotations") or {}).get(
        RESTARTED_AT_ANNOTATION
    )
    pictures = images(template)
    order = "in reverse ordinal order" if w is STATEFULSET else "node by node"
    return _Plan(
        current={"revision": revision, "images": pictures, "restartedAt": previous},
        desired={"revision": (revision or 0) + 1, "images": pictures, "restartedAt": stamp},
        call="PATCH " + w.path(op.namespace, op.name),
        body={
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: stamp}}}}
        },
        note=f"a new revision with the same images; pods are replaced {order}",
    )


def _rollback_plan(s: KubeSession, op: Rollback) -> _Plan:
    w = _workload_of(op)
    where = f"{w.word} {op.namespace}/{op.name}"
    obj = settled(s, w, op.namespace, op.name)
    history = revisions_of(s, obj)
    numbers = [_number(r) for r in history]
    listed = ", ".join(map(str, sorted(numbers))) or "none"
    current_rev = numbers[0] if numbers else None
    if op.to_revision is not None:
        target = next((r for r in history if _number(r) == op.to_revision), None)
        if target is None:
            raise KubeError(
                kind=ErrorKind.NOT_FOUND,
                call="; ".join(s.calls),
                message=f"revision {op.to_revision} of {where} not found; available "
                f"revisions: {listed}",
            )
    elif len(history) < 2:
        raise KubeError(
            kind=ErrorKind.INVALID,
            call="; ".join(s.calls),
            message=f"{where} has no previous revision to roll back to (revisions: {listed})",
        )
    else:
        target = history[1]
    target_rev = _number(target)
    if target_rev == current_rev:
        raise KubeError(
            kind=ErrorKind.INVALID,
            call="; ".join(s.calls),
            message=f"{where} is already at revision {current_rev}",
        )
    body = target.get("data") or {}
    if not isinstance(body, dict) or not revision_template(target):
        raise KubeError(
            kind=ErrorKind.INVALID,
            call="; ".join(s.calls),
            message=f"revision {target_rev} of {where} records no pod template",
        )
    target_images = images(revision_template(target))
    current_template = (obj.get("spec") or {}).get("template") or {}
    return _Plan(
        current={"revision": current_rev, "images": images(current_template)},
        desired={
            "revision": target_rev,
            "images": target_images,
            "controllerrevision": meta(target).get("name"),
        },
        call="PATCH " + w.path(op.namespace, op.name),
        body=body,
        note=f"returns to revision {target_rev} ({', '.join(target_images)}); it becomes "
        f"revision {(current_rev or 0) + 1}",
    )


def _patch(s: KubeSession, op: Restart | Rollback, plan: _Plan, *, dry_run: bool) -> str:
    """Send the planned strategic-merge patch (dry run or for real); the call made."""
    w = _workload_of(op)
    call = with_dry_run(plan.call) if dry_run else plan.call
    extra = {"dry_run": DRY_RUN} if dry_run else {}
    s.json(
        call,
        w.method(s, "patch_namespaced_{}"),
        op.name,
        op.namespace,
        plan.body,
        what=f"{w.word} {op.namespace}/{op.name}",
        **extra,
    )
    return call


def _preview(s: KubeSession, op: Restart | Rollback, plan: _Plan) -> Preview:
    call = _patch(s, op, plan, dry_run=True)
    dry = Result(
        status=Status.SUCCESS, call=call, text=f"server-side dry run accepted: {plan.note}"
    )
    return Preview(current=plan.current, desired=plan.desired, dry_run=dry, note=plan.note)


def preview_restart(s: KubeSession, op: Restart) -> Preview:
    return _preview(s, op, _restart_plan(s, op, _now()))


def preview_rollback(s: KubeSession, op: Rollback) -> Preview:
    return _preview(s, op, _rollback_plan(s, op))


def execute_restart(s: KubeSession, op: Restart) -> Result:
    w = _workload_of(op)
    plan = _restart_plan(s, op, _now())
    call = _patch(s, op, plan, dry_run=False)
    return Result(
        status=Status.SUCCESS,
        call=call,
        before=plan.current,
        after={"restartedAt": plan.desired["restartedAt"]},
        data={
            w.word: op.name,
            "namespace": op.namespace,
            "revision_before": plan.current["revision"],
            "restartedAt": plan.desired["restartedAt"],
        },
        text=f"Restarted {w.word} {op.namespace}/{op.name} (was revision "
        f"{plan.current['revision']}); pods are being replaced.",
    )


def execute_rollback(s: KubeSession, op: Rollback) -> Result:
    w = _workload_of(op)
    plan = _rollback_plan(s, op)
    call = _patch(s, op, plan, dry_run=False)
    return Result(
        status=Status.SUCCESS,
        call=call,
        before=plan.current,
        after=plan.desired,
        data={
            w.word: op.name,
            "namespace": op.namespace,
            "revision_before": plan.current["revision"],
            "returned_to_revision": plan.desired["revision"],
            "images": plan.desired["images"],
        },
        text=f"Rolled back {w.word} {op.namespace}/{op.name}: {plan.note}.",
    )
