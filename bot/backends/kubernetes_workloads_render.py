"""Summaries of StatefulSets, DaemonSets, ControllerRevisions, HPAs and rollout progress
(plain JSON dicts from the API server), worded like kubectl."""

from __future__ import annotations

from typing import Any

from bot.backends.kubernetes_render import age, images, meta

CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def desired_replicas(obj: dict[str, Any]) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else _int(replicas)


def statefulset_row(sts: dict[str, Any]) -> dict[str, Any]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    desired = desired_replicas(sts)
    return {
        "name": meta(sts).get("name"),
        "namespace": meta(sts).get("namespace"),
        "replicas": desired,
        "ready": f"{_int(status.get('readyReplicas'))}/{desired}",
        "updated": _int(status.get("updatedReplicas")),
        "current_revision": status.get("currentRevision"),
        "update_revision": status.get("updateRevision"),
        "images": images(spec.get("template") or {}),
        "age": age(meta(sts).get("creationTimestamp")),
    }


def daemonset_row(ds: dict[str, Any]) -> dict[str, Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    return {
        "name": meta(ds).get("name"),
        "namespace": meta(ds).get("namespace"),
        "desired": _int(status.get("desiredNumberScheduled")),
        "current": _int(status.get("currentNumberScheduled")),
        "ready": _int(status.get("numberReady")),
        "updated": _int(status.get("updatedNumberScheduled")),
        "available": _int(status.get("numberAvailable")),
        "misscheduled": _int(status.get("numberMisscheduled")),
        "images": images(spec.get("template") or {}),
        "age": age(meta(ds).get("creationTimestamp")),
    }


def revision_template(revision: dict[str, Any]) -> dict[str, Any]:
    """The pod template a ControllerRevision recorded (its `data` is a patch of the spec)."""
    data = revision.get("data") or {}
    template = (data.get("spec") or {}).get("template") or {}
    return template if isinstance(template, dict) else {}


def change_cause(obj: dict[str, Any]) -> str | None:
    cause = (meta(obj).get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
    return str(cause) if cause else None


# ---------------------------------------------------------------- rollout status
def _generation(obj: dict[str, Any]) -> tuple[int, int]:
    return _int(meta(obj).get("generation")), _int(
        (obj.get("status") or {}).get("observedGeneration")
    )


def deployment_status(dep: dict[str, Any]) -> dict[str, Any]:
    """`kubectl rollout status deployment` in one look (it would watch; we report once)."""
    name = meta(dep).get("name")
    status = dep.get("status") or {}
    desired = desired_replicas(dep)
    updated, ready = _int(status.get("updatedReplicas")), _int(status.get("readyReplicas"))
    available, total = _int(status.get("availableReplicas")), _int(status.get("replicas"))
    generation, observed = _generation(dep)
    done = False
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    progressing = conditions.get("Progressing") or {}
    if generation > observed:
        message = "Waiting for deployment spec update to be observed..."
    elif progressing.get("reason") == "ProgressDeadlineExceeded":
        message = f'deployment "{name}" exceeded its progress deadline'
    elif updated < desired:
        message = (
            f'Waiting for deployment "{name}" rollout to finish: {updated} out of {desired} '
            "new replicas have been updated..."
        )
    elif total > updated:
        message = (
            f'Waiting for deployment "{name}" rollout to finish: {total - updated} old '
            "replicas are pending termination..."
        )
    elif available < updated:
        message = (
            f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} '
            "updated replicas are available..."
        )
    else:
        message, done = f'deployment "{name}" successfully rolled out', True
    return {
        "done": done,
        "message": message,
        "desired": desired,
        "updated": updated,
        "ready": ready,
        "available": available,
        "generation": generation,
        "observed_generation": observed,
    }


def statefulset_status(sts: dict[str, Any]) -> dict[str, Any]:
    """`kubectl rollout status statefulset`, once."""
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    desired = desired_replicas(sts)
    updated, ready = _int(status.get("updatedReplicas")), _int(status.get("readyReplicas"))
    generation, observed = _generation(sts)
    strategy = spec.get("updateStrategy") or {}
    revision = status.get("updateRevision")
    done = False
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        message = "rollout status is only available for the RollingUpdate strategy type"
    elif observed == 0 or generation > observed:
        message = "Waiting for statefulset spec update to be observed..."
    elif ready < desired:
        message = f"Waiting for {desired - ready} pods to be ready..."
    elif (partition := _int((strategy.get("rollingUpdate") or {}).get("partition"))) > 0:
        wanted = desired - partition
        if updated < wanted:
            message = (
                f"Waiting for partitioned roll out to finish: {updated} out of {wanted} "
                "new pods have been updated..."
            )
        else:
            message = f"partitioned roll out complete: {updated} new pods have been updated..."
            done = True
    elif revision != status.get("currentRevision"):
        message = (
            f"waiting for statefulset rolling update to complete {updated} pods at "
            f"revision {revision}..."
        )
    else:
        message = f"statefulset rolling update complete {ready} pods at revision {revision}..."
        done = True
    return {
        "done": done,
        "message": message,
        "desired": desired,
        "updated": updated,
        "ready": ready,
        "available": _int(status.get("availableReplicas")),
        "generation": generation,
        "observed_generation": observed,
        "update_revision": revision,
        "current_revision": status.get("currentRevision"),
    }


def daemonset_status(ds: dict[str, Any]) -> dict[str, Any]:
    """`kubectl rollout status daemonset`, once."""
    name = meta(ds).get("name")
    row = daemonset_row(ds)
    desired, updated, available = row["desired"], row["updated"], row["available"]
    generation, observed = _generation(ds)
    strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate"
    done = False
    if strategy != "RollingUpdate":
        message = "rollout status is only available for the RollingUpdate strategy type"
    elif generation > observed:
        message = "Waiting for daemon set spec update to be observed..."
    elif updated < desired:
        message = (
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
            "new pods have been updated..."
        )
    elif available < desired:
        message = (
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
            "updated pods are available..."
        )
    else:
        message, done = f'daemon set "{name}" successfully rolled out', True
    return {
        "done": done,
        "message": message,
        "desired": desired,
        "updated": updated,
        "ready": row["ready"],
        "available": available,
        "generation": generation,
        "observed_generation": observed,
    }


# ---------------------------------------------------------------- HorizontalPodAutoscalers
def _quantity(value: dict[str, Any] | None) -> str:
    value = value or {}
    if value.get("averageUtilization") is not None:
        return f"{value['averageUtilization']}%"
    for key in ("averageValue", "value"):
        if value.get(key) is not None:
            return str(value[key])
    return "<unknown>"


def _metric_name(metric: dict[str, Any]) -> str:
    kind = str(metric.get("type") or "")
    source = metric.get(kind[:1].lower() + kind[1:]) or {}
    if "resource" in kind.lower():
        return str(source.get("name") or "?")
    return str((source.get("metric") or {}).get("name") or kind or "?")


def hpa_metrics(hpa: dict[str, Any]) -> list[dict[str, str]]:
    """current/target per metric (autoscaling/v2 and v2beta2 shapes; v1's CPU percentage)."""
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        current = status.get("currentCPUUtilizationPercentage")
        return [
            {
                "name": "cpu",
                "current": f"{current}%" if current is not None else "<unknown>",
                "target": f"{spec['targetCPUUtilizationPercentage']}%",
            }
        ]
    currents = {_metric_name(m): m for m in status.get("currentMetrics") or []}
    out = []
    for metric in spec.get("metrics") or []:
        name = _metric_name(metric)
        kind = str(metric.get("type") or "")
        key = kind[:1].lower() + kind[1:]
        target = (metric.get(key) or {}).get("target")
        now = currents.get(name)
        current = (now.get(key) or {}).get("current") if now else None
        out.append(
            {
                "name": name,
                "current": _quantity(current) if current else "<unknown>",
                "target": _quantity(target),
            }
        )
    return out


def hpa_row(hpa: dict[str, Any]) -> dict[str, Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    return {
        "name": meta(hpa).get("name"),
        "namespace": meta(hpa).get("namespace"),
        "target_kind": ref.get("kind"),
        "target_name": ref.get("name"),
        "reference": f"{ref.get('kind')}/{ref.get('name')}",
        "metrics": hpa_metrics(hpa),
        "min_replicas": _int(spec.get("minReplicas")) or 1,
        "max_replicas": _int(spec.get("maxReplicas")),
        "current_replicas": _int(status.get("currentReplicas")),
        "desired_replicas": _int(status.get("desiredReplicas")),
        "age": age(meta(hpa).get("creationTimestamp")),
    }


def metrics_text(metrics: list[dict[str, str]]) -> str:
    return ", ".join(f"{m['name']}: {m['current']}/{m['target']}" for m in metrics) or "<none>"
