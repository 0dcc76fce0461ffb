"""`rollout status` and `rollout history` for Deployments, StatefulSets and DaemonSets.

Status is one look at what `kubectl rollout status` would watch (updated/ready/available of
desired, observed generation); history lists revisions with their change-cause annotation and
images (ReplicaSets for Deployments, ControllerRevisions for the others).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.backends.base import Result, Status
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_reads import replicasets_of
from bot.backends.kubernetes_render import images, revision_of, table
from bot.backends.kubernetes_workloads import (
    DAEMONSET,
    DEPLOYMENT,
    STATEFULSET,
    Workload,
    history_rows,
    read,
)
from bot.backends.kubernetes_workloads_render import (
    change_cause,
    daemonset_status,
    deployment_status,
    statefulset_status,
)
from bot.catalog.workload_ops import (
    RolloutHistoryDaemonSet,
    RolloutHistoryDeployment,
    RolloutHistoryStatefulSet,
    RolloutStatusDaemonSet,
    RolloutStatusDeployment,
    RolloutStatusStatefulSet,
)
from bot.redact import redact, redact_data

_STATUS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Deployment": deployment_status,
    "StatefulSet": statefulset_status,
    "DaemonSet": daemonset_status,
}


def _status(s: KubeSession, w: Workload, namespace: str, name: str) -> Result:
    obj = read(s, w, namespace, name)
    status = _status_of(w, obj)
    lines = [
        redact(status["message"]),
        f"desired {status['desired']}, updated {status['updated']}, ready {status['ready']}, "
        f"available {status['available']}; generation {status['generation']}, observed "
        f"{status['observed_generation']}",
    ]
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data={"kind": w.kind, "name": name, "namespace": namespace, **redact_data(status)},
        text="\n".join(lines),
    )


def _status_of(w: Workload, obj: dict[str, Any]) -> dict[str, Any]:
    return _STATUS[w.kind](obj)


def rollout_status_deployment(s: KubeSession, op: RolloutStatusDeployment) -> Result:
    return _status(s, DEPLOYMENT, op.namespace, op.name)


def rollout_status_statefulset(s: KubeSession, op: RolloutStatusStatefulSet) -> Result:
    return _status(s, STATEFULSET, op.namespace, op.name)


def rollout_status_daemonset(s: KubeSession, op: RolloutStatusDaemonSet) -> Result:
    return _status(s, DAEMONSET, op.namespace, op.name)


def _history(s: KubeSession, w: Workload, namespace: str, name: str) -> Result:
    obj = read(s, w, namespace, name)
    if w is DEPLOYMENT:
        rows: list[dict[str, Any]] = [
            {
                "revision": revision_of(rs) or 0,
                "replicaset": (rs.get("metadata") or {}).get("name"),
                "change_cause": change_cause(rs),
                "images": images((rs.get("spec") or {}).get("template") or {}),
            }
            for rs in replicasets_of(s, obj)
        ]
    else:
        rows = history_rows(s, obj)
    rows.sort(key=lambda r: int(r["revision"]))
    rows = redact_data(rows)
    if not rows:
        return Result(
            status=Status.NO_DATA,
            call="; ".join(s.calls),
            data={"revisions": []},
            text=f"{w.word} {namespace}/{name} has no recorded revisions yet.",
        )
    text = f"{w.word} {namespace}/{name}\n" + table(
        ["REVISION", "CHANGE-CAUSE", "IMAGES"],
        [[str(r["revision"]), r["change_cause"] or "<none>", ",".join(r["images"])] for r in rows],
    )
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data={"kind": w.kind, "name": name, "namespace": namespace, "revisions": rows},
        text=text,
    )


def rollout_history_deployment(s: KubeSession, op: RolloutHistoryDeployment) -> Result:
    return _history(s, DEPLOYMENT, op.namespace, op.name)


def rollout_history_statefulset(s: KubeSession, op: RolloutHistoryStatefulSet) -> Result:
    return _history(s, STATEFULSET, op.namespace, op.name)


def rollout_history_daemonset(s: KubeSession, op: RolloutHistoryDaemonSet) -> Result:
    return _history(s, DAEMONSET, op.namespace, op.name)
