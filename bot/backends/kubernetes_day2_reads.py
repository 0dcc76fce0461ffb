"""Reads people ask for beside pods and deployments: Services with their endpoints, Ingresses
(networking.k8s.io v1 or v1beta1, by discovery), ConfigMaps (keys and sizes; values only
through `read_configmap_values`, redacted), namespaces and PersistentVolumeClaims."""

from __future__ import annotations

from typing import Any

from bot.backends.base import ErrorKind, Result, Status
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_day2_render import (
    configmap_keys,
    configmap_row,
    configmap_values,
    endpoint_addresses,
    ingress_row,
    namespace_row,
    pvc_row,
    service_row,
)
from bot.backends.kubernetes_discovery import get_json, served_version
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_render import meta, table
from bot.catalog.reads_ops import (
    DescribeService,
    GetConfigMaps,
    ListIngresses,
    ListNamespaces,
    ListPvcs,
    ListServices,
    ReadConfigMapValues,
)
from bot.redact import redact, redact_data

MAX_ITEMS = 5000
INGRESS_VERSIONS = ("v1", "v1beta1")


def _path(group_version: str, resource: str, namespace: str | None, name: str | None) -> str:
    base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    parts = [base] + ([f"namespaces/{namespace}"] if namespace else []) + [resource]
    return "/".join(parts + ([name] if name else []))


def _items(
    s: KubeSession, group_version: str, resource: str, namespace: str | None, name: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """One object (as a one-item list) or a list, at most MAX_ITEMS: (items, cut)."""
    path = _path(group_version, resource, namespace, name)
    if name:
        what = f"{resource[:-1]} {namespace}/{name}" if namespace else f"{resource[:-1]} {name}"
        return [get_json(s, path, what=what)], False
    body = get_json(s, path, query={"limit": MAX_ITEMS})
    return list(body.get("items") or []), bool((body.get("metadata") or {}).get("continue"))


def _ns(op: ListServices | ListIngresses | GetConfigMaps | ListPvcs) -> str | None:
    return None if op.all_namespaces else op.namespace


def _where(ns: str | None) -> str:
    return "any namespace" if ns is None else f"namespace {ns}"


def _result(
    s: KubeSession,
    key: str,
    rows: list[dict[str, Any]],
    headers: list[str],
    cells: list[list[str]],
    *,
    empty: str,
    cut: bool,
    every: bool = False,
) -> Result:
    call = "; ".join(s.calls)
    data = {key: redact_data(rows), "count": len(rows)}
    if not rows:
        return Result(status=Status.NO_DATA, call=call, data=data, text=empty)
    if every:
        headers = ["NAMESPACE", *headers]
        cells = [[str(r.get("namespace")), *c] for r, c in zip(rows, cells, strict=True)]
    text = table(headers, cells)
    if cut:
        text += f"\n… [only the first {MAX_ITEMS} shown; narrow it with a namespace]"
    return Result(status=Status.SUCCESS, call=call, data=data, text=text, truncated=cut)


def list_services(s: KubeSession, op: ListServices) -> Result:
    ns = _ns(op)
    services, cut = _items(s, "v1", "services", ns, op.name)
    endpoints, _ = _items(s, "v1", "endpoints", ns, None)
    by_name = {(meta(e).get("namespace"), meta(e).get("name")): e for e in endpoints}
    rows = [
        service_row(svc, by_name.get((meta(svc).get("namespace"), meta(svc).get("name"))))
        for svc in services
    ]
    cells = [
        [
            str(r["name"]),
            str(r["type"]),
            str(r["cluster_ip"]),
            ",".join(r["ports"]) or "<none>",
            f"{r['endpoints_ready']} ready, {r['endpoints_not_ready']} not ready",
            str(r["age"]),
        ]
        for r in rows
    ]
    headers = ["NAME", "TYPE", "CLUSTER-IP", "PORTS", "ENDPOINTS", "AGE"]
    empty = f"No services in {_where(ns)}."
    return _result(s, "services", rows, headers, cells, empty=empty, cut=cut, every=ns is None)


def describe_service(s: KubeSession, op: DescribeService) -> Result:
    svc = get_json(
        s,
        _path("v1", "services", op.namespace, op.name),
        what=f"service {op.namespace}/{op.name}",
    )
    try:
        endpoints: dict[str, Any] | None = get_json(
            s, _path("v1", "endpoints", op.namespace, op.name)
        )
    except KubeError as err:
        if err.kind != ErrorKind.NOT_FOUND:
            raise
        endpoints = None
    row = service_row(svc, endpoints)
    selector = (svc.get("spec") or {}).get("selector") or {}
    addresses = endpoint_addresses(endpoints)
    detail = {
        **row,
        "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        "addresses": addresses,
    }
    lines = [
        f"Service {op.namespace}/{op.name}: {row['type']}, cluster IP {row['cluster_ip']}, "
        f"ports {', '.join(row['ports']) or '<none>'}",
        f"Selector: {detail['selector'] or '<none> (endpoints managed by hand)'}",
        f"Endpoints: {row['endpoints_ready']} ready, {row['endpoints_not_ready']} not ready",
    ]
    lines += [
        f"- {a['ip']} {'ready' if a['ready'] else 'NOT READY'} {a['target']} {','.join(a['ports'])}"
        for a in addresses
    ]
    if endpoints is None:
        lines.append("(no Endpoints object: nothing receives this service's traffic)")
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data=redact_data(detail),
        text=redact("\n".join(lines)),
    )


def ingress_group_version(s: KubeSession) -> str:
    """networking.k8s.io/v1 where served (Kubernetes 1.19+), else v1beta1, else extensions."""
    version = served_version(s, "networking.k8s.io", INGRESS_VERSIONS)
    if version is not None:
        return f"networking.k8s.io/{version}"
    if served_version(s, "extensions", ("v1beta1",)) is not None:
        return "extensions/v1beta1"
    raise KubeError(
        kind=ErrorKind.NOT_FOUND,
        message="this cluster serves no Ingress API (networking.k8s.io v1/v1beta1)",
        call="; ".join(s.calls),
    )


def list_ingresses(s: KubeSession, op: ListIngresses) -> Result:
    ns = _ns(op)
    items, cut = _items(s, ingress_group_version(s), "ingresses", ns, op.name)
    rows = [ingress_row(i) for i in items]
    cells = [
        [
            str(r["name"]),
            str(r["class"]),
            ",".join(r["hosts"]) or "*",
            "; ".join(r["rules"]) or "<none>",
            "; ".join(r["tls"]) or "-",
            str(r["age"]),
        ]
        for r in rows
    ]
    headers = ["NAME", "CLASS", "HOSTS", "PATHS -> BACKENDS", "TLS", "AGE"]
    empty = f"No ingresses in {_where(ns)}."
    return _result(s, "ingresses", rows, headers, cells, empty=empty, cut=cut, every=ns is None)


def get_configmaps(s: KubeSession, op: GetConfigMaps) -> Result:
    ns = _ns(op)
    if op.name is None:
        items, cut = _items(s, "v1", "configmaps", ns, None)
        rows = [configmap_row(c) for c in items]
        cells = [[str(r["name"]), str(r["keys"]), f"{r['bytes']}B", str(r["age"])] for r in rows]
        headers = ["NAME", "KEYS", "SIZE", "AGE"]
        empty = f"No config maps in {_where(ns)}."
        return _result(
            s, "configmaps", rows, headers, cells, empty=empty, cut=cut, every=ns is None
        )
    cm = get_json(
        s,
        _path("v1", "configmaps", op.namespace, op.name),
        what=f"config map {op.namespace}/{op.name}",
    )
    keys = configmap_keys(cm)
    text = f"ConfigMap {op.namespace}/{op.name}: {len(keys)} keys (values not shown)\n" + table(
        ["KEY", "SIZE", "TYPE"],
        [[str(k["key"]), f"{k['bytes']}B", "binary" if k["binary"] else "text"] for k in keys],
    )
    data = {"name": op.name, "namespace": op.namespace, "keys": redact_data(keys)}
    return Result(status=Status.SUCCESS, call="; ".join(s.calls), data=data, text=text)


def read_configmap_values(s: KubeSession, op: ReadConfigMapValues) -> Result:
    cm = get_json(
        s,
        _path("v1", "configmaps", op.namespace, op.name),
        what=f"config map {op.namespace}/{op.name}",
    )
    values = configmap_values(cm)
    lines = [f"ConfigMap {op.namespace}/{op.name} (values redacted):"]
    for key, value in values.items():
        if "\n" in value:
            lines.append(f"{key}: |")
            lines += [f"  {line}" for line in value.splitlines()]
        else:
            lines.append(f"{key}: {value}")
    return Result(
        status=Status.SUCCESS,
        call="; ".join(s.calls),
        data={"name": op.name, "namespace": op.namespace, "values": values},
        text=redact("\n".join(lines)),
    )


def list_namespaces(s: KubeSession, op: ListNamespaces) -> Result:
    items, cut = _items(s, "v1", "namespaces", None, None)
    rows = [namespace_row(n) for n in items]
    cells = [[str(r["name"]), str(r["status"]), str(r["age"])] for r in rows]
    return _result(
        s, "namespaces", rows, ["NAME", "STATUS", "AGE"], cells, empty="No namespaces.", cut=cut
    )


def list_pvcs(s: KubeSession, op: ListPvcs) -> Result:
    ns = _ns(op)
    items, cut = _items(s, "v1", "persistentvolumeclaims", ns, None)
    rows = [pvc_row(p) for p in items]
    cells = [
        [
            str(r["name"]),
            str(r["status"]),
            str(r["capacity"]),
            ",".join(r["access_modes"]) or "-",
            str(r["storage_class"]),
            str(r["volume"]),
            str(r["age"]),
        ]
        for r in rows
    ]
    headers = ["NAME", "STATUS", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUME", "AGE"]
    empty = f"No persistent volume claims in {_where(ns)}."
    return _result(s, "pvcs", rows, headers, cells, empty=empty, cut=cut, every=ns is None)
