"""Summaries and tables of Kubernetes objects (plain JSON dicts from the API server).

Everything that leaves here is safe to show: env values are never included (names only, and
where a value comes from a Secret or ConfigMap, a reference to it), the last-applied
annotation is dropped, and free text goes through `redact`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.redact import redact, redact_data

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
_HIDDEN_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def revision_of(obj: dict[str, Any]) -> int | None:
    value = (meta(obj).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def age(timestamp: str | None, *, now: datetime | None = None) -> str:
    """kubectl-style age: 45s, 12m, 3h, 5d."""
    if not timestamp:
        return "-"
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return redact("\n".join(lines))


def safe_annotations(obj: dict[str, Any]) -> dict[str, str]:
    notes = meta(obj).get("annotations") or {}
    kept = {k: v for k, v in notes.items() if k not in _HIDDEN_ANNOTATIONS}
    result: dict[str, str] = redact_data(kept)
    return result


# ---------------------------------------------------------------- containers and env
def env_names(container: dict[str, Any]) -> list[str]:
    """Env variable names only; a value from a Secret/ConfigMap is shown as a reference."""
    out: list[str] = []
    for var in container.get("env") or []:
        name = str(var.get("name", "?"))
        source = var.get("valueFrom") or {}
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            out.append(f"{name} (from secret {ref.get('name')}, key {ref.get('key')})")
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            out.append(f"{name} (from configmap {ref.get('name')}, key {ref.get('key')})")
        elif "fieldRef" in source:
            out.append(f"{name} (from field {source['fieldRef'].get('fieldPath')})")
        elif "resourceFieldRef" in source:
            out.append(f"{name} (from resource {source['resourceFieldRef'].get('resource')})")
        else:
            out.append(name)
    for src in container.get("envFrom") or []:
        if "secretRef" in src:
            out.append(f"(all keys of secret {src['secretRef'].get('name')})")
        elif "configMapRef" in src:
            out.append(f"(all keys of configmap {src['configMapRef'].get('name')})")
    return out


def container_spec(container: dict[str, Any]) -> dict[str, Any]:
    """Name, image, ports, resources and env names; never env values, command or args."""
    resources = container.get("resources") or {}
    return {
        "name": container.get("name"),
        "image": container.get("image"),
        "ports": [p.get("containerPort") for p in container.get("ports") or []],
        "resources": {k: resources[k] for k in ("requests", "limits") if k in resources},
        "env": env_names(container),
    }


def images(template: dict[str, Any]) -> list[str]:
    return [str(c.get("image")) for c in (template.get("spec") or {}).get("containers") or []]


# ---------------------------------------------------------------- pods
def _state(status: dict[str, Any]) -> tuple[str, str]:
    state = status.get("state") or {}
    for key in ("waiting", "terminated"):
        if key in state:
            return key, str(state[key].get("reason") or key)
    return ("running", "Running") if "running" in state else ("unknown", "Unknown")


def pod_status_text(pod: dict[str, Any]) -> str:
    """What kubectl shows in STATUS: a waiting/terminated reason beats the phase."""
    if meta(pod).get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or []:
        key, reason = _state(cs)
        if key in ("waiting", "terminated") and reason not in ("Completed",):
            return reason
    return str(status.get("reason") or status.get("phase") or "Unknown")


def pod_row(pod: dict[str, Any]) -> dict[str, Any]:
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or []) or len(statuses)
    ready = sum(1 for cs in statuses if cs.get("ready"))
    owner = next(iter(meta(pod).get("ownerReferences") or []), None)
    return {
        "name": meta(pod).get("name"),
        "namespace": meta(pod).get("namespace"),
        "status": pod_status_text(pod),
        "phase": status.get("phase"),
        "ready": f"{ready}/{total}",
        "restarts": sum(int(cs.get("restartCount") or 0) for cs in statuses),
        "node": (pod.get("spec") or {}).get("nodeName"),
        "owner": f"{owner.get('kind')}/{owner.get('name')}" if owner else None,
        "age": age(meta(pod).get("creationTimestamp")),
    }


def pod_detail(pod: dict[str, Any]) -> dict[str, Any]:
    status = pod.get("status") or {}
    by_name = {cs.get("name"): cs for cs in status.get("containerStatuses") or []}
    containers = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        cs = by_name.get(c.get("name"), {})
        _, state = _state(cs) if cs else ("unknown", "Unknown")
        last = (cs.get("lastState") or {}).get("terminated") or {}
        containers.append(
            {
                **container_spec(c),
                "ready": bool(cs.get("ready")),
                "restarts": int(cs.get("restartCount") or 0),
                "state": state,
                "last_terminated": {
                    k: last[k] for k in ("reason", "exitCode", "finishedAt") if k in last
                }
                or None,
            }
        )
    row = pod_row(pod)
    detail: dict[str, Any] = {
        **row,
        "ip": status.get("podIP"),
        "labels": redact_data(meta(pod).get("labels") or {}),
        "annotations": safe_annotations(pod),
        "containers": containers,
        "conditions": [
            {"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason")}
            for c in status.get("conditions") or []
        ],
    }
    return detail


# ---------------------------------------------------------------- deployments
def deployment_row(dep: dict[str, Any]) -> dict[str, Any]:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    desired = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    return {
        "name": meta(dep).get("name"),
        "namespace": meta(dep).get("namespace"),
        "replicas": desired,
        "ready": f"{int(status.get('readyReplicas') or 0)}/{desired}",
        "up_to_date": int(status.get("updatedReplicas") or 0),
        "available": int(status.get("availableReplicas") or 0),
        "images": images(spec.get("template") or {}),
        "revision": revision_of(dep),
        "age": age(meta(dep).get("creationTimestamp")),
    }


def owned_by(obj: dict[str, Any], uid: str | None) -> bool:
    return any(o.get("uid") == uid for o in meta(obj).get("ownerReferences") or [])


def selector_string(dep: dict[str, Any]) -> str:
    labels = (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


# ---------------------------------------------------------------- events
def event_row(ev: dict[str, Any]) -> dict[str, Any]:
    obj = ev.get("involvedObject") or {}
    when = ev.get("lastTimestamp") or ev.get("eventTime") or meta(ev).get("creationTimestamp")
    return {
        "time": when,
        "last_seen": age(when),
        "type": ev.get("type") or "Normal",
        "reason": ev.get("reason") or "",
        "object": f"{str(obj.get('kind', '')).lower()}/{obj.get('name', '')}",
        "namespace": meta(ev).get("namespace"),
        "count": int(ev.get("count") or 1),
        "message": redact(" ".join(str(ev.get("message") or "").split()))[:300],
    }


def sort_events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Warnings first, then the most recent first."""
    newest = sorted(rows, key=lambda r: str(r.get("time") or ""), reverse=True)
    return sorted(newest, key=lambda r: r.get("type") != "Warning")
