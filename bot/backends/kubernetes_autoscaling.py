"""HorizontalPodAutoscalers: list, describe, set min/max replicas; and the note a scale preview
gets when an HPA controls the workload.

The API version is found by discovery (GET /apis/autoscaling): autoscaling/v2 where served
(Kubernetes 1.23+), else v2beta2 (1.12-1.25), else v1 (CPU only). The generated client has no
v2beta2 API, so the calls go through the client's generic request path, with the same session
(timeouts, retries, impersonation) as every other call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import CONFLICT_ATTEMPTS, DRY_RUN, KubeSession, with_dry_run
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_reads import MAX_LIST_ITEMS, _event_lines, _events_for
from bot.backends.kubernetes_render import meta, table
from bot.backends.kubernetes_workloads_render import hpa_row, metrics_text
from bot.catalog.kubernetes_ops import ScaleDeployment
from bot.catalog.workload_ops import DescribeHpa, ListHpas, ScaleStatefulSet, SetHpaReplicas
from bot.redact import redact, redact_data

PREFERRED_VERSIONS = ("v2", "v2beta2", "v1")
MERGE_PATCH = "application/merge-patch+json"
# keyword arguments KubeSession passes (paging, dry run) -> their query parameter names
_QUERY_NAMES = {"_continue": "continue", "dry_run": "dryRun", "label_selector": "labelSelector"}


def _request(
    s: KubeSession,
    method: str,
    resource_path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
) -> Callable[..., Any]:
    """A client call for a path the generated API classes do not cover (for `KubeSession`)."""

    def call(*, _preload_content: bool = False, _request_timeout: Any = None, **extra: Any) -> Any:
        named = {_QUERY_NAMES.get(k, k): v for k, v in extra.items()}
        params = [(k, v) for k, v in {**(query or {}), **named}.items() if v is not None]
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = MERGE_PATCH
        api = s.api_client
        request = api.param_serialize(
            method=method,
            resource_path=resource_path,
            query_params=params,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        return api._call_with_legacy_options(request, {}, None, False, _request_timeout, True)

    return call


def autoscaling_version(s: KubeSession) -> str:
    """The newest autoscaling group version the server offers that we read."""
    call = "GET /apis/autoscaling"
    group = s.json(call, _request(s, "GET", "/apis/autoscaling"), what="API group autoscaling")
    served = {str(v.get("version")) for v in group.get("versions") or []}
    for version in PREFERRED_VERSIONS:
        if version in served:
            return version
    raise KubeError(
        kind=ErrorKind.NOT_FOUND,
        call=call,
        message=f"the cluster serves no autoscaling version this bot reads (it serves: "
        f"{', '.join(sorted(served)) or 'none'}; known: {', '.join(PREFERRED_VERSIONS)})",
    )


def _path(version: str, namespace: str | None, name: str | None = None) -> str:
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"/apis/autoscaling/{version}{where}/horizontalpodautoscalers" + (
        f"/{name}" if name else ""
    )


def list_hpa_objects(
    s: KubeSession, namespace: str | None, version: str | None = None
) -> tuple[str, list[dict[str, Any]], bool]:
    version = version or autoscaling_version(s)
    resource_path = _path(version, namespace)
    items, cut = s.list_all(
        "GET " + resource_path, _request(s, "GET", resource_path), max_items=MAX_LIST_ITEMS
    )
    return resource_path, items, cut


def _read(s: KubeSession, namespace: str, name: str) -> tuple[str, dict[str, Any]]:
    resource_path = _path(autoscaling_version(s), namespace, name)
    hpa = s.json(
        "GET " + resource_path,
        _request(s, "GET", resource_path),
        what=f"horizontalpodautoscaler {namespace}/{name}",
    )
    return resource_path, hpa


# ---------------------------------------------------------------- reads
def list_hpas(s: KubeSession, op: ListHpas) -> Result:
    ns = None if op.all_namespaces else op.namespace
    resource_path, items, cut = list_hpa_objects(s, ns)
    call = "GET " + resource_path
    rows = [hpa_row(h) for h in items]
    if not rows:
        scope = "any namespace" if ns is None else f"namespace {ns}"
        return Result(
            status=Status.NO_DATA,
            call=call,
            data={"hpas": []},
            text=f"No horizontal pod autoscalers in {scope}.",
        )
    headers = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    cells = [
        [
            r["name"],
            r["reference"],
            metrics_text(r["metrics"]),
            str(r["min_replicas"]),
            str(r["max_replicas"]),
            str(r["current_replicas"]),
            r["age"],
        ]
        for r in rows
    ]
    if ns is None:
        headers = ["NAMESPACE", *headers]
        cells = [[r["namespace"], *c] for r, c in zip(rows, cells, strict=True)]
    return Result(
        status=Status.SUCCESS,
        call=call,
        data={"hpas": redact_data(rows), "count": len(rows)},
        text=table(headers, cells),
        truncated=cut,
    )


def describe_hpa(s: KubeSession, op: DescribeHpa) -> Result:
    _, hpa = _read(s, op.namespace, op.name)
    row = hpa_row(hpa)
    conditions = [
        {
            "type": c.get("type"),
            "status": c.get("status"),
            "reason": c.get("reason"),
            "message": redact(str(c.get("message") or ""))[:300],
        }
        for c in (hpa.get("status") or {}).get("conditions") or []
    ]
    events, note = _events_for(
        s, namespace=op.namespace, kind="HorizontalPodAutoscaler", name=op.name
    )
    detail = {**row, "conditions": conditions, "events": events}
    lines = [
        f"HorizontalPodAutoscaler {op.namespace}/{op.name} -> {row['reference']}",
        f"Replicas: min {row['min_replicas']}, max {row['max_replicas']}; current "
        f"{row['current_replicas']}, desired {row['desired_replicas']}",
    ]
    lines += [
        f"- {m['name']}: current {m['current']}, target {m['target']}" for m in row["metrics"]
    ]
    if not row["metrics"]:
        lines.append("- no metrics configured")
    lines += [
        f"Condition {c['type']}={c['status']} ({c['reason'] or '-'}): {c['message']}"
        for c in conditions
    ]
    lines.append(_event_lines(events) if note is None else note)
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


# ---------------------------------------------------------------- set min/max
def _invalid(message: str) -> KubeError:
    """Bad min/max for this HPA (a user error, refused before anything is sent)."""
    return KubeError(kind=ErrorKind.INVALID, call="-", message=message)


def _limits(hpa: dict[str, Any]) -> dict[str, int]:
    row = hpa_row(hpa)
    return {"min_replicas": row["min_replicas"], "max_replicas": row["max_replicas"]}


def _desired(op: SetHpaReplicas, current: dict[str, int]) -> dict[str, int]:
    if op.min_replicas is None and op.max_replicas is None:
        raise _invalid("give a new minimum (--min N), a new maximum (--max N) or both")
    low = op.min_replicas if op.min_replicas is not None else current["min_replicas"]
    high = op.max_replicas if op.max_replicas is not None else current["max_replicas"]
    if low > high:
        raise _invalid(
            f"the minimum ({low}) would be above the maximum ({high}) of "
            f"horizontalpodautoscaler {op.namespace}/{op.name}; give both --min and --max",
        )
    return {"min_replicas": low, "max_replicas": high}


def _body(limits: dict[str, int], resource_version: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "spec": {"minReplicas": limits["min_replicas"], "maxReplicas": limits["max_replicas"]}
    }
    if resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    return body


def preview_set_hpa(s: KubeSession, op: SetHpaReplicas) -> Preview:
    resource_path, hpa = _read(s, op.namespace, op.name)
    current = _limits(hpa)
    desired = _desired(op, current)
    call = with_dry_run(f"PATCH {resource_path}")
    answer = s.json(
        call,
        _request(s, "PATCH", resource_path, body=_body(desired, None)),
        dry_run=DRY_RUN,
        what=f"horizontalpodautoscaler {op.namespace}/{op.name}",
    )
    after = _limits(answer)
    dry = Result(
        status=Status.SUCCESS,
        call=call,
        data=after,
        text=f"server-side dry run accepted: min {current['min_replicas']} -> "
        f"{after['min_replicas']}, max {current['max_replicas']} -> {after['max_replicas']}",
    )
    row = hpa_row(hpa)
    note = f"autoscales {row['reference']} (now {row['current_replicas']} replicas)"
    if desired == current:
        note = "no change: already at those limits"
    return Preview(current=current, desired=desired, dry_run=dry, note=note)


def execute_set_hpa(s: KubeSession, op: SetHpaReplicas) -> Result:
    for _ in range(CONFLICT_ATTEMPTS):
        resource_path, hpa = _read(s, op.namespace, op.name)
        before = _limits(hpa)
        desired = _desired(op, before)
        call = "PATCH " + resource_path
        try:
            answer = s.json(
                call,
                _request(
                    s,
                    "PATCH",
                    resource_path,
                    body=_body(desired, meta(hpa).get("resourceVersion")),
                ),
                what=f"horizontalpodautoscaler {op.namespace}/{op.name}",
            )
        except KubeError as err:
            if err.kind != ErrorKind.CONFLICT:
                raise
            continue
        after = _limits(answer)
        return Result(
            status=Status.SUCCESS,
            call=call,
            before=before,
            after=after,
            data={"hpa": op.name, "namespace": op.namespace, "before": before, "after": after},
            text=f"Set horizontalpodautoscaler {op.namespace}/{op.name}: min "
            f"{before['min_replicas']} -> {after['min_replicas']}, max "
            f"{before['max_replicas']} -> {after['max_replicas']}.",
        )
    raise KubeError(
        kind=ErrorKind.CONFLICT,
        call="PATCH horizontalpodautoscalers",
        status=409,
        message=f"horizontalpodautoscaler {op.namespace}/{op.name} kept changing "
        f"({CONFLICT_ATTEMPTS} conflicting writes); nothing was changed by us",
    )


# ---------------------------------------------------------------- scale previews
def controlling_hpas(s: KubeSession, namespace: str, kind: str, name: str) -> list[dict[str, Any]]:
    """The HPAs whose scale target is this workload (rows)."""
    _, items, _ = list_hpa_objects(s, namespace)
    rows = [hpa_row(h) for h in items]
    return [r for r in rows if r["target_kind"] == kind and r["target_name"] == name]


def with_hpa_note[Op: ScaleDeployment | ScaleStatefulSet](
    kind: str, preview: Callable[[KubeSession, Op], Preview]
) -> Callable[[KubeSession, Op], Preview]:
    """A scale preview that also says when an HPA controls the workload (it will undo a manual
    scale); when HPAs cannot be read, the preview says that instead of staying silent."""

    def previewed(s: KubeSession, op: Op) -> Preview:
        result = preview(s, op)
        namespace, name = op.namespace, op.name
        try:
            found = controlling_hpas(s, namespace, kind, name)
        except KubeError as err:
            extra = f"could not check for a HorizontalPodAutoscaler: {err.message}"
        else:
            extra = "; ".join(
                f"HPA {r['name']} controls this workload (min {r['min_replicas']}, max "
                f"{r['max_replicas']}): it will override a manual scale"
                for r in found
            )
        if extra:
            note = f"{result.note}; {extra}" if result.note else extra
            result = result.model_copy(update={"note": note})
        return result

    return previewed
