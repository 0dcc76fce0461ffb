"""Rows and details of Nodes and of the pods on them (plain JSON dicts), safe to show."""

from __future__ import annotations

from typing import Any

from bot.backends.kubernetes_render import age, meta

ROLE_PREFIX = "node-role.kubernetes.io/"


def _conditions(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": c.get("type"),
            "status": c.get("status"),
            "reason": c.get("reason"),
            "message": c.get("message"),
        }
        for c in (node.get("status") or {}).get("conditions") or []
    ]


def _status(node: dict[str, Any]) -> str:
    ready = next((c for c in _conditions(node) if c["type"] == "Ready"), None)
    text = "Ready" if ready and ready["status"] == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def _taints(node: dict[str, Any]) -> list[str]:
    return [
        f"{t.get('key')}" + (f"={t['value']}" if t.get("value") else "") + f":{t.get('effect')}"
        for t in (node.get("spec") or {}).get("taints") or []
    ]


def node_row(node: dict[str, Any]) -> dict[str, Any]:
    m = meta(node)
    roles = sorted(
        k[len(ROLE_PREFIX) :] for k in m.get("labels") or {} if k.startswith(ROLE_PREFIX)
    )
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return {
        "name": m.get("name"),
        "status": _status(node),
        "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
        "roles": ",".join(roles) or "<none>",
        "taints": _taints(node),
        "version": info.get("kubeletVersion") or "-",
        "age": age(m.get("creationTimestamp")),
    }


def node_detail(node: dict[str, Any]) -> dict[str, Any]:
    status = node.get("status") or {}
    return {
        **node_row(node),
        "conditions": _conditions(node),
        "allocatable": dict(status.get("allocatable") or {}),
        "capacity": dict(status.get("capacity") or {}),
    }


def pod_on_node(pod: dict[str, Any]) -> dict[str, Any]:
    m = meta(pod)
    owner = next((r for r in m.get("ownerReferences") or [] if r.get("controller")), None)
    return {
        "namespace": m.get("namespace"),
        "name": m.get("name"),
        "phase": (pod.get("status") or {}).get("phase") or "Unknown",
        "owner": f"{str(owner.get('kind')).lower()}/{owner.get('name')}" if owner else None,
    }


def selects(budget: dict[str, Any], labels: dict[str, str]) -> bool:
    """Does a PodDisruptionBudget's label selector match these pod labels?"""
    selector = (budget.get("spec") or {}).get("selector") or {}
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, operator, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and present and labels.get(key) in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True
