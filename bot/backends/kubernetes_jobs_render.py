"""Rows of CronJobs and Jobs (plain JSON dicts from the API server), safe to show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.backends.kubernetes_render import age, images, meta

INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"


def owned_by_uid(obj: dict[str, Any], uid: str | None) -> bool:
    return uid is not None and any(
        r.get("uid") == uid for r in meta(obj).get("ownerReferences") or []
    )


def _controller(obj: dict[str, Any]) -> str | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{str(ref.get('kind', '?')).lower()}/{ref.get('name')}"
    return None


def cronjob_row(cronjob: dict[str, Any]) -> dict[str, Any]:
    m = meta(cronjob)
    spec = cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    template = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")) or {}
    last = status.get("lastScheduleTime")
    return {
        "name": m.get("name"),
        "namespace": m.get("namespace"),
        "schedule": spec.get("schedule") or "-",
        "suspend": bool(spec.get("suspend")),
        "active": len(status.get("active") or []),
        "last_schedule": f"{age(last)} ago" if last else "never",
        "concurrency": spec.get("concurrencyPolicy") or "Allow",
        "history": f"{spec.get('successfulJobsHistoryLimit', 3)} succeeded, "
        f"{spec.get('failedJobsHistoryLimit', 1)} failed",
        "images": images(template),
        "age": age(m.get("creationTimestamp")),
    }


def _duration(status: dict[str, Any]) -> str:
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        return "-"
    if not end:
        return age(start)
    try:
        seconds = (
            datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))
        ).total_seconds()
    except ValueError:
        return "-"
    return f"{int(seconds)}s" if seconds < 120 else f"{int(seconds // 60)}m"


def job_status(job: dict[str, Any]) -> str:
    """Complete, Failed, Suspended or Running (a job with neither final condition is active)."""
    conditions = {
        c.get("type"): c.get("status") for c in (job.get("status") or {}).get("conditions") or []
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if (job.get("spec") or {}).get("suspend"):
        return "Suspended"
    return "Running"


def job_row(job: dict[str, Any]) -> dict[str, Any]:
    m = meta(job)
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    wanted = spec.get("completions")
    succeeded = int(status.get("succeeded") or 0)
    return {
        "name": m.get("name"),
        "namespace": m.get("namespace"),
        "status": job_status(job),
        "completions": f"{succeeded}/{wanted if wanted is not None else 1}",
        "active": int(status.get("active") or 0),
        "failed": int(status.get("failed") or 0),
        "duration": _duration(status),
        "owner": _controller(job),
        "manual": (m.get("annotations") or {}).get(INSTANTIATE_ANNOTATION) == "manual",
        "created": m.get("creationTimestamp"),
        "age": age(m.get("creationTimestamp")),
    }
