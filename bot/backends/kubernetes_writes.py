"""Write operations: scale, rollout restart, rollback (like `kubectl rollout undo`), delete pod.

Each write has a plan step (`_Write`): read the current state, build the request, then either
run it with `dryRun=All` for the preview or for real. `before`/`after` are what the catalog's
`inverse()` needs for undo (replicas for scale, revision for restart and rollback).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.backends import kubernetes_scale as scaling
from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import DRY_RUN, KubeSession, with_dry_run
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_reads import path, replicasets_of
from bot.backends.kubernetes_render import (
    RESTARTED_AT_ANNOTATION,
    images,
    meta,
    pod_row,
    revision_of,
)
from bot.backends.kubernetes_workloads import DEPLOYMENT, settled
from bot.catalog.kubernetes_ops import (
    DeletePod,
    RestartDeployment,
    RollbackDeployment,
    ScaleDeployment,
)


@dataclass
class _Write:
    """Current and desired state plus the call that makes the change."""

    current: dict[str, Any]
    desired: dict[str, Any]
    call: str
    summary: str
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _deployment(s: KubeSession, op: RestartDeployment | RollbackDeployment) -> dict[str, Any]:
    """The deployment once its controller has seen its latest spec (observedGeneration).

    Its revision annotation and its ReplicaSets' revisions are written by the controller: read
    before that, a rollback done a moment ago still shows the revision it left, and its undo
    would be refused as "already at revision N". Waits at most SETTLE_SECONDS, then refuses
    (temporary) rather than act on a stale revision."""
    return settled(s, DEPLOYMENT, op.namespace, op.name)


def _refuse_paused(
    s: KubeSession, dep: dict[str, Any], op: RestartDeployment | RollbackDeployment, verb: str
) -> None:
    """`kubectl rollout restart/undo` refuse paused deployments too."""
    if (dep.get("spec") or {}).get("paused"):
        raise KubeError(
            kind=ErrorKind.INVALID,
            call=s.calls[-1],
            message=f"deployment {op.namespace}/{op.name} is paused; cannot {verb} "
            "it until its rollout is resumed",
        )


# ---------------------------------------------------------------- scale
def preview_scale(s: KubeSession, op: ScaleDeployment) -> Preview:
    return scaling.preview_scale(s, scaling.DEPLOYMENTS, op)


def execute_scale(s: KubeSession, op: ScaleDeployment) -> Result:
    return scaling.execute_scale(s, scaling.DEPLOYMENTS, op)


# ---------------------------------------------------------------- rollout restart
def _restart_plan(s: KubeSession, op: RestartDeployment, stamp: str) -> _Write:
    dep = _deployment(s, op)
    _refuse_paused(s, dep, op, "restart")
    template = (dep.get("spec") or {}).get("template") or {}
    previous = ((template.get("metadata") or {}).get("annotations") or {}).get(
        RESTARTED_AT_ANNOTATION
    )
    revision = revision_of(dep)
    current = {"revision": revision, "images": images(template), "restartedAt": previous}
    desired = {"revision": (revision or 0) + 1, "images": images(template), "restartedAt": stamp}
    call = "PATCH " + path(
        namespace=op.namespace, resource="deployments", name=op.name, group="apps"
    )
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: stamp}}}}}
    return _Write(
        current,
        desired,
        call,
        f"rollout restart of deployment {op.namespace}/{op.name}",
        extra={"body": body},
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _patch_deployment(
    s: KubeSession, op: RestartDeployment | RollbackDeployment, plan: _Write, *, dry_run: bool
) -> Result:
    """Send a planned template patch (server-side dry run or for real); raises KubeError."""
    call = with_dry_run(plan.call) if dry_run else plan.call
    extra = {"dry_run": DRY_RUN} if dry_run else {}
    s.json(
        call,
        s.apps.patch_namespaced_deployment,
        op.name,
        op.namespace,
        plan.extra["body"],
        what=f"deployment {op.namespace}/{op.name}",
        **extra,
    )
    return Result(status=Status.SUCCESS, call=call)


def preview_restart(s: KubeSession, op: RestartDeployment) -> Preview:
    plan = _restart_plan(s, op, _now())
    dry = _patch_deployment(s, op, plan, dry_run=True)
    dry.text = "server-side dry run accepted: pods will be replaced gradually"
    return Preview(
        current=plan.current,
        desired=plan.desired,
        dry_run=dry,
        note="a new revision with the same images; pods are replaced one by one",
    )


def execute_restart(s: KubeSession, op: RestartDeployment) -> Result:
    plan = _restart_plan(s, op, _now())
    answer = s.json(
        plan.call,
        s.apps.patch_namespaced_deployment,
        op.name,
        op.namespace,
        plan.extra["body"],
        what=f"deployment {op.namespace}/{op.name}",
    )
    after = {
        "restartedAt": plan.desired["restartedAt"],
        "generation": meta(answer).get("generation"),
    }
    return Result(
        status=Status.SUCCESS,
        call=plan.call,
        before=plan.current,
        after=after,
        data={
            "deployment": op.name,
            "namespace": op.namespace,
            **after,
            "revision_before": plan.current["revision"],
        },
        text=f"Restarted deployment {op.namespace}/{op.name} (was revision "
        f"{plan.current['revision']}); pods are being replaced.",
    )


# ---------------------------------------------------------------- rollback
def _rollback_plan(s: KubeSession, op: RollbackDeployment) -> _Write:
    dep = _deployment(s, op)
    _refuse_paused(s, dep, op, "roll back")
    current_rev = revision_of(dep)
    history = replicasets_of(s, dep)
    revisions = sorted({r for rs in history if (r := revision_of(rs)) is not None})
    where = f"deployment {op.namespace}/{op.name}"
    if op.to_revision is not None:
        target = next((rs for rs in history if revision_of(rs) == op.to_revision), None)
        if target is None:
            raise KubeError(
                kind=ErrorKind.NOT_FOUND,
                call="; ".join(s.calls),
                message=f"revision {op.to_revision} of {where} not found; available "
                f"revisions: {', '.join(map(str, revisions)) or 'none'}",
            )
    else:
        older = [rs for rs in history if (revision_of(rs) or 0) < (current_rev or 0)]
        if not older:
            raise KubeError(
                kind=ErrorKind.INVALID,
                call="; ".join(s.calls),
                message=f"{where} has no previous revision to roll back to "
                f"(revisions: {', '.join(map(str, revisions)) or 'none'})",
            )
        target = older[0]
    target_rev = revision_of(target)
    if target_rev == current_rev:
        raise KubeError(
            kind=ErrorKind.INVALID,
            call="; ".join(s.calls),
            message=f"{where} is already at revision {current_rev}",
        )
    template = copy.deepcopy((target.get("spec") or {}).get("template") or {})
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop("pod-template-hash", None)
    current_template = (dep.get("spec") or {}).get("template") or {}
    current = {"revision": current_rev, "images": images(current_template)}
    target_images = images(template)
    desired = {
        "revision": target_rev,
        "images": target_images,
        "replicaset": meta(target).get("name"),
    }
    call = "PATCH " + path(
        namespace=op.namespace, resource="deployments", name=op.name, group="apps"
    )
    body = [{"op": "replace", "path": "/spec/template", "value": template}]
    note = (
        f"returns to revision {target_rev} ({', '.join(target_images)}); it becomes "
        f"revision {max(revisions, default=0) + 1}"
    )
    return _Write(current, desired, call, f"rollback of {where}", note=note, extra={"body": body})


def preview_rollback(s: KubeSession, op: RollbackDeployment) -> Preview:
    plan = _rollback_plan(s, op)
    dry = _patch_deployment(s, op, plan, dry_run=True)
    dry.text = f"server-side dry run accepted: {plan.note}"
    return Preview(current=plan.current, desired=plan.desired, dry_run=dry, note=plan.note)


def execute_rollback(s: KubeSession, op: RollbackDeployment) -> Result:
    plan = _rollback_plan(s, op)
    s.json(
        plan.call,
        s.apps.patch_namespaced_deployment,
        op.name,
        op.namespace,
        plan.extra["body"],
        what=f"deployment {op.namespace}/{op.name}",
    )
    return Result(
        status=Status.SUCCESS,
        call=plan.call,
        before=plan.current,
        after=plan.desired,
        data={
            "deployment": op.name,
            "namespace": op.namespace,
            "revision_before": plan.current["revision"],
            "returned_to_revision": plan.desired["revision"],
            "images": plan.desired["images"],
        },
        text=f"Rolled back deployment {op.namespace}/{op.name}: {plan.note}.",
    )


# ---------------------------------------------------------------- delete pod
def _pod_path(op: DeletePod) -> str:
    return path(namespace=op.namespace, resource="pods", name=op.name)


def _pod_state(s: KubeSession, op: DeletePod) -> dict[str, Any]:
    pod = s.json(
        "GET " + _pod_path(op),
        s.core.read_namespaced_pod,
        op.name,
        op.namespace,
        what=f"pod {op.namespace}/{op.name}",
    )
    row = pod_row(pod)
    return {k: row[k] for k in ("status", "phase", "ready", "restarts", "node", "owner")}


def _delete_kwargs(op: DeletePod) -> dict[str, Any]:
    return (
        {} if op.grace_period_seconds is None else {"grace_period_seconds": op.grace_period_seconds}
    )


def preview_delete_pod(s: KubeSession, op: DeletePod) -> Preview:
    current = _pod_state(s, op)
    call = "DELETE " + _pod_path(op)
    s.json(
        with_dry_run(call),
        s.core.delete_namespaced_pod,
        op.name,
        op.namespace,
        dry_run=DRY_RUN,
        what=f"pod {op.namespace}/{op.name}",
        **_delete_kwargs(op),
    )
    note = (
        f"its controller {current['owner']} creates a replacement"
        if current["owner"]
        else "this pod has no controller: it will NOT come back"
    )
    dry = Result(
        status=Status.SUCCESS,
        call=with_dry_run(call),
        text="server-side dry run accepted: the pod would be deleted",
    )
    return Preview(current=current, desired={"exists": False}, dry_run=dry, note=note)


def execute_delete_pod(s: KubeSession, op: DeletePod) -> Result:
    before = _pod_state(s, op)
    call = "DELETE " + _pod_path(op)
    gone_already = ""
    try:
        s.json(
            call,
            s.core.delete_namespaced_pod,
            op.name,
            op.namespace,
            what=f"pod {op.namespace}/{op.name}",
            **_delete_kwargs(op),
        )
    except KubeError as err:
        # it existed a moment ago: a retried DELETE whose first answer was lost, or a race
        if err.kind != ErrorKind.NOT_FOUND:
            raise
        gone_already = " (it was already gone)"
    return Result(
        status=Status.SUCCESS,
        call=call,
        before=before,
        after={"exists": False},
        data={"pod": op.name, "namespace": op.namespace, "owner": before["owner"]},
        text=f"Deleted pod {op.namespace}/{op.name}{gone_already}"
        + (f"; {before['owner']} will replace it." if before["owner"] else "."),
    )
