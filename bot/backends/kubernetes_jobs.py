"""CronJobs and Jobs: list, describe, trigger now (as `kubectl create job --from=cronjob/x`),
suspend/resume, delete a finished Job. The CronJob API version is found by discovery."""

from __future__ import annotations

import secrets
from typing import Any

from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import DRY_RUN, KubeSession
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_jobs_render import (
    INSTANTIATE_ANNOTATION,
    cronjob_row,
    job_row,
    owned_by_uid,
)
from bot.backends.kubernetes_reads import _event_lines as event_lines
from bot.backends.kubernetes_reads import _events_for as events_for
from bot.backends.kubernetes_render import meta, table
from bot.backends.kubernetes_rest import MERGE_PATCH, cronjob_version, list_all, request
from bot.catalog.jobs_nodes_ops import (
    DeleteJob,
    DescribeCronJob,
    DescribeJob,
    ListCronJobs,
    ListJobs,
    ResumeCronJob,
    SuspendCronJob,
    TriggerCronJob,
)
from bot.redact import redact, redact_data

MAX_ITEMS = 5000


def _where(ns: str | None, resource: str, name: str | None = None, version: str = "v1") -> str:
    base = f"/apis/batch/{version}" + (f"/namespaces/{ns}" if ns else "")
    return f"{base}/{resource}" + (f"/{name}" if name else "")


def _scope(op: ListCronJobs | ListJobs) -> tuple[str | None, str]:
    if op.all_namespaces:
        return None, "any namespace"
    return op.namespace, f"namespace {op.namespace}"


def _table(ns: str | None, headers: list[str], rows: list[list[str]], spaces: list[str]) -> str:
    if ns is None:
        return table(["NAMESPACE", *headers], [[n, *r] for n, r in zip(spaces, rows, strict=True)])
    return table(headers, rows)


# ---------------------------------------------------------------- reads
def list_cronjobs(s: KubeSession, op: ListCronJobs) -> Result:
    ns, scope = _scope(op)
    version = cronjob_version(s)
    query = {"labelSelector": op.label_selector}
    items, cut = list_all(
        s, _where(ns, "cronjobs", version=version), max_items=MAX_ITEMS, query=query
    )
    call = "; ".join(s.calls)
    rows = [cronjob_row(c) for c in items]
    if not rows:
        return Result(
            status=Status.NO_DATA, call=call, data={"cronjobs": []}, text=f"No cronjobs in {scope}."
        )
    text = _table(
        ns,
        ["NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
        [
            [
                r["name"],
                r["schedule"],
                str(r["suspend"]),
                str(r["active"]),
                r["last_schedule"],
                r["age"],
            ]
            for r in rows
        ],
        [r["namespace"] for r in rows],
    )
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={"cronjobs": rows, "count": len(rows), "api_version": f"batch/{version}"},
        text=text,
        truncated=cut,
    )


def _read_cronjob(s: KubeSession, namespace: str, name: str) -> tuple[dict[str, Any], str]:
    version = cronjob_version(s)
    cronjob = request(
        s,
        "GET",
        _where(namespace, "cronjobs", name, version),
        what=f"cronjob {namespace}/{name}",
    )
    return cronjob, version


def _jobs_in(
    s: KubeSession, namespace: str | None, selector: str | None = None
) -> list[dict[str, Any]]:
    items, _ = list_all(
        s, _where(namespace, "jobs"), max_items=MAX_ITEMS, query={"labelSelector": selector}
    )
    return items


def describe_cronjob(s: KubeSession, op: DescribeCronJob) -> Result:
    cronjob, version = _read_cronjob(s, op.namespace, op.name)
    row = cronjob_row(cronjob)
    owned = [
        job_row(j) for j in _jobs_in(s, op.namespace) if owned_by_uid(j, meta(cronjob).get("uid"))
    ]
    owned.sort(key=lambda j: j["created"] or "", reverse=True)
    events, note = events_for(s, namespace=op.namespace, kind="CronJob", name=op.name)
    detail = {**row, "api_version": f"batch/{version}", "jobs": owned, "events": events}
    lines = [
        f"CronJob {op.namespace}/{op.name}: schedule {row['schedule']!r}"
        + (" (SUSPENDED)" if row["suspend"] else "")
        + f", active jobs {row['active']}, last schedule {row['last_schedule']}",
        f"Concurrency: {row['concurrency']}; history kept: {row['history']}",
    ]
    if owned:
        lines.append("Jobs:\n" + _job_table(owned))
    else:
        lines.append("Jobs: none")
    lines.append(event_lines(events) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


def _job_table(rows: list[dict[str, Any]], spaces: list[str] | None = None) -> str:
    cells = [
        [r["name"], r["status"], r["completions"], str(r["failed"]), r["duration"], r["age"]]
        for r in rows
    ]
    headers = ["NAME", "STATUS", "COMPLETIONS", "FAILED", "DURATION", "AGE"]
    return _table(None if spaces is not None else "", headers, cells, spaces or [])


def list_jobs(s: KubeSession, op: ListJobs) -> Result:
    ns, scope = _scope(op)
    items, cut = list_all(
        s, _where(ns, "jobs"), max_items=MAX_ITEMS, query={"labelSelector": op.label_selector}
    )
    call = "; ".join(s.calls)
    rows = [job_row(j) for j in items]
    if not rows:
        return Result(
            status=Status.NO_DATA, call=call, data={"jobs": []}, text=f"No jobs in {scope}."
        )
    text = _job_table(rows, [r["namespace"] for r in rows] if ns is None else None)
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={"jobs": rows, "count": len(rows)},
        text=text,
        truncated=cut,
    )


def _read_job(s: KubeSession, namespace: str, name: str) -> dict[str, Any]:
    return request(s, "GET", _where(namespace, "jobs", name), what=f"job {namespace}/{name}")


def describe_job(s: KubeSession, op: DescribeJob) -> Result:
    job = _read_job(s, op.namespace, op.name)
    row = job_row(job)
    uid = meta(job).get("uid")
    pods, _ = list_all(
        s,
        f"/api/v1/namespaces/{op.namespace}/pods",
        max_items=MAX_ITEMS,
        query={"labelSelector": f"controller-uid={uid}"},
    )
    pod_rows = [
        {"name": meta(p).get("name"), "phase": (p.get("status") or {}).get("phase") or "Unknown"}
        for p in pods
    ]
    events, note = events_for(s, namespace=op.namespace, kind="Job", name=op.name)
    conditions = [
        {"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason")}
        for c in (job.get("status") or {}).get("conditions") or []
    ]
    detail = {**row, "conditions": conditions, "pods": pod_rows, "events": events}
    lines = [
        f"Job {op.namespace}/{op.name}: {row['status']}, completions {row['completions']}, "
        f"active {row['active']}, failed {row['failed']}, duration {row['duration']}",
        f"Owner: {row['owner'] or 'none'}" + (" (triggered manually)" if row["manual"] else ""),
    ]
    lines += [f"Condition {c['type']}={c['status']} ({c['reason'] or '-'})" for c in conditions]
    lines.append("Pods: " + (", ".join(f"{p['name']} ({p['phase']})" for p in pod_rows) or "none"))
    lines.append(event_lines(events) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


# ---------------------------------------------------------------- trigger
def _job_from(cronjob: dict[str, Any], version: str) -> dict[str, Any]:
    """The Job `kubectl create job --from=cronjob/NAME` creates, with a generated unique name."""
    m = meta(cronjob)
    base = str(m.get("name"))[:44]
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    annotations = {**(template_meta.get("annotations") or {}), INSTANTIATE_ANNOTATION: "manual"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{base}-manual-{secrets.token_hex(3)}",
            "namespace": m.get("namespace"),
            "labels": dict(template_meta.get("labels") or {}),
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": f"batch/{version}",
                    "kind": "CronJob",
                    "name": m.get("name"),
                    "uid": m.get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template.get("spec") or {},
    }


def _create_job(
    s: KubeSession, op: TriggerCronJob, *, dry_run: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    cronjob, version = _read_cronjob(s, op.namespace, op.name)
    job = _job_from(cronjob, version)
    answer = request(
        s,
        "POST",
        _where(op.namespace, "jobs"),
        query={"dryRun": DRY_RUN} if dry_run else None,
        body=job,
        what=f"cronjob {op.namespace}/{op.name}",
    )
    return cronjob, answer


def preview_trigger(s: KubeSession, op: TriggerCronJob) -> Preview:
    cronjob, _job = _create_job(s, op, dry_run=True)
    row = cronjob_row(cronjob)
    dry = Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        text="server-side dry run accepted: a Job would be created from the cronjob's template",
    )
    note = "undo deletes the Job this creates (and its pods)"
    if row["suspend"]:
        note += "; the cronjob is suspended, but a manual run still starts"
    return Preview(
        current={"active_jobs": row["active"], "last_schedule": row["last_schedule"]},
        desired={"new_job": f"{op.name[:44]}-manual-XXXXXX", "images": row["images"]},
        dry_run=dry,
        note=note,
    )


def execute_trigger(s: KubeSession, op: TriggerCronJob) -> Result:
    cronjob, job = _create_job(s, op, dry_run=False)
    name = str(meta(job).get("name"))
    return Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        before={"created_job": name, "active_jobs": cronjob_row(cronjob)["active"]},
        after={"job": name},
        data={"cronjob": op.name, "namespace": op.namespace, "job": name},
        text=f"Triggered cronjob {op.namespace}/{op.name}: created job {name}.",
    )


# ---------------------------------------------------------------- suspend / resume
def _suspend_patch(
    s: KubeSession, op: SuspendCronJob | ResumeCronJob, *, dry_run: bool
) -> tuple[bool, bool]:
    """(suspended before, suspended after) for a suspend or resume, run or dry-run."""
    cronjob, version = _read_cronjob(s, op.namespace, op.name)
    before = bool((cronjob.get("spec") or {}).get("suspend"))
    want = isinstance(op, SuspendCronJob)
    answer = request(
        s,
        "PATCH",
        _where(op.namespace, "cronjobs", op.name, version),
        query={"dryRun": DRY_RUN} if dry_run else None,
        body={"spec": {"suspend": want}},
        content_type=MERGE_PATCH,
        what=f"cronjob {op.namespace}/{op.name}",
    )
    return before, bool((answer.get("spec") or {}).get("suspend"))


def preview_suspend(s: KubeSession, op: SuspendCronJob | ResumeCronJob) -> Preview:
    before, after = _suspend_patch(s, op, dry_run=True)
    dry = Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        text=f"server-side dry run accepted: suspend {before} -> {after}",
    )
    note = "no change: it is already in that state" if before == after else None
    if note is None and isinstance(op, SuspendCronJob):
        note = "jobs already running are not stopped; no new ones start until resumed"
    return Preview(current={"suspend": before}, desired={"suspend": after}, dry_run=dry, note=note)


def execute_suspend(s: KubeSession, op: SuspendCronJob | ResumeCronJob) -> Result:
    before, after = _suspend_patch(s, op, dry_run=False)
    verb = "Suspended" if after else "Resumed"
    same = " (it already was)" if before == after else ""
    return Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        before={"suspend": before},
        after={"suspend": after},
        data={"cronjob": op.name, "namespace": op.namespace, "suspend": after},
        text=f"{verb} cronjob {op.namespace}/{op.name}{same}.",
    )


# ---------------------------------------------------------------- delete job
def _deletable(s: KubeSession, op: DeleteJob) -> dict[str, Any]:
    row = job_row(_read_job(s, op.namespace, op.name))
    if row["status"] == "Running" and not op.even_if_active:
        raise KubeError(
            kind=ErrorKind.INVALID,
            call="; ".join(s.calls),
            message=f"job {op.namespace}/{op.name} is still active ({row['active']} running "
            f"pod(s), completions {row['completions']}); only a finished job is deleted. "
            "Wait for it to finish, or add --even-if-active to stop and delete it",
        )
    return {k: row[k] for k in ("status", "completions", "failed", "active", "owner")}


def _delete(s: KubeSession, op: DeleteJob, *, dry_run: bool) -> None:
    body: dict[str, Any] = {"propagationPolicy": "Background"}
    if dry_run:
        body["dryRun"] = [DRY_RUN]
    request(
        s,
        "DELETE",
        _where(op.namespace, "jobs", op.name),
        query={"dryRun": DRY_RUN} if dry_run else None,
        body=body,
        what=f"job {op.namespace}/{op.name}",
    )


def preview_delete_job(s: KubeSession, op: DeleteJob) -> Preview:
    current = _deletable(s, op)
    _delete(s, op, dry_run=True)
    dry = Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        text="server-side dry run accepted: the job and its pods would be deleted",
    )
    note = "its pods (and their logs) go with it"
    if current["status"] == "Running":
        note = "the job is STILL RUNNING: its pods are stopped"
    return Preview(current=current, desired={"exists": False}, dry_run=dry, note=note)


def execute_delete_job(s: KubeSession, op: DeleteJob) -> Result:
    before = _deletable(s, op)
    _delete(s, op, dry_run=False)
    return Result(
        status=Status.SUCCESS,
        call=s.calls[-1],
        before=before,
        after={"exists": False},
        data={"job": op.name, "namespace": op.namespace},
        text=f"Deleted job {op.namespace}/{op.name} ({before['status']}); its pods are "
        "deleted in the background.",
    )
