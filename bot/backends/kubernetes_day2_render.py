"""Rows for Services (with their Endpoints), Ingresses (v1 and v1beta1 shapes), ConfigMaps,
namespaces and PersistentVolumeClaims, from the plain dicts the API server sends."""

from __future__ import annotations

from typing import Any

from bot.backends.kubernetes_render import age, meta
from bot.redact import REDACTED, redact
from bot.redact_rules import is_secret_key


def _port_text(p: dict[str, Any]) -> str:
    text = f"{p.get('port')}/{p.get('protocol') or 'TCP'}"
    target = p.get("targetPort")
    if target is not None and str(target) != str(p.get("port")):
        text += f"->{target}"
    if p.get("nodePort"):
        text += f" (node {p['nodePort']})"
    return text


def endpoint_counts(endpoints: dict[str, Any] | None) -> tuple[int, int]:
    """(ready, not ready) addresses of a Service's Endpoints object (None: no Endpoints)."""
    ready = not_ready = 0
    for subset in (endpoints or {}).get("subsets") or []:
        ready += len(subset.get("addresses") or [])
        not_ready += len(subset.get("notReadyAddresses") or [])
    return ready, not_ready


def service_row(svc: dict[str, Any], endpoints: dict[str, Any] | None) -> dict[str, Any]:
    spec = svc.get("spec") or {}
    ready, not_ready = endpoint_counts(endpoints)
    return {
        "namespace": meta(svc).get("namespace"),
        "name": meta(svc).get("name"),
        "type": spec.get("type") or "ClusterIP",
        "cluster_ip": spec.get("clusterIP") or "-",
        "ports": [_port_text(p) for p in spec.get("ports") or []],
        "endpoints_ready": ready,
        "endpoints_not_ready": not_ready,
        "age": age(meta(svc).get("creationTimestamp")),
    }


def endpoint_addresses(endpoints: dict[str, Any] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for subset in (endpoints or {}).get("subsets") or []:
        ports = [f"{p.get('port')}/{p.get('protocol') or 'TCP'}" for p in subset.get("ports") or []]
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.get(key) or []:
                target = a.get("targetRef") or {}
                out.append(
                    {
                        "ip": a.get("ip"),
                        "ready": ready,
                        "target": f"{target.get('kind', '').lower()}/{target.get('name')}"
                        if target.get("name")
                        else "-",
                        "ports": ports,
                    }
                )
    return out


def _backend_text(backend: dict[str, Any]) -> str:
    service = backend.get("service")
    if isinstance(service, dict):  # networking.k8s.io/v1
        port = service.get("port") or {}
        return f"{service.get('name')}:{port.get('number') or port.get('name') or '-'}"
    if backend.get("serviceName"):  # v1beta1
        return f"{backend.get('serviceName')}:{backend.get('servicePort')}"
    resource = backend.get("resource") or {}
    return f"{resource.get('kind', 'resource')}/{resource.get('name', '-')}"


def ingress_row(ing: dict[str, Any]) -> dict[str, Any]:
    spec = ing.get("spec") or {}
    rules: list[str] = []
    hosts: list[str] = []
    for rule in spec.get("rules") or []:
        host = rule.get("host") or "*"
        hosts.append(host)
        for p in (rule.get("http") or {}).get("paths") or []:
            rules.append(f"{host}{p.get('path') or '/'} -> {_backend_text(p.get('backend') or {})}")
    default = spec.get("defaultBackend") or spec.get("backend")
    if default:
        rules.append(f"(default) -> {_backend_text(default)}")
    tls = [
        f"{','.join(t.get('hosts') or ['*'])} (cert {t.get('secretName') or '-'})"
        for t in spec.get("tls") or []
    ]
    return {
        "namespace": meta(ing).get("namespace"),
        "name": meta(ing).get("name"),
        "class": spec.get("ingressClassName")
        or (meta(ing).get("annotations") or {}).get("kubernetes.io/ingress.class")
        or "-",
        "hosts": hosts,
        "rules": rules,
        "tls": tls,
        "age": age(meta(ing).get("creationTimestamp")),
    }


def configmap_keys(cm: dict[str, Any]) -> list[dict[str, Any]]:
    """Each key with its size in bytes (text and binary); values are not included."""
    keys = [
        {"key": k, "bytes": len(str(v).encode()), "binary": False}
        for k, v in (cm.get("data") or {}).items()
    ]
    keys += [
        {"key": k, "bytes": len(str(v)) * 3 // 4, "binary": True}
        for k, v in (cm.get("binaryData") or {}).items()
    ]
    return sorted(keys, key=lambda k: str(k["key"]))


def configmap_row(cm: dict[str, Any]) -> dict[str, Any]:
    keys = configmap_keys(cm)
    return {
        "namespace": meta(cm).get("namespace"),
        "name": meta(cm).get("name"),
        "keys": len(keys),
        "bytes": sum(int(k["bytes"]) for k in keys),
        "age": age(meta(cm).get("creationTimestamp")),
    }


def configmap_values(cm: dict[str, Any]) -> dict[str, str]:
    """The values, redacted: a secret-named key's value is hidden whole, every other value goes
    through the redactor; binary values are never shown."""
    out: dict[str, str] = {}
    for key, value in sorted((cm.get("data") or {}).items()):
        out[key] = REDACTED if is_secret_key(key) else redact(str(value))
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        out[key] = f"<binary, {len(str(value)) * 3 // 4} bytes, not shown>"
    return out


def namespace_row(ns: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": meta(ns).get("name"),
        "status": (ns.get("status") or {}).get("phase") or "-",
        "age": age(meta(ns).get("creationTimestamp")),
    }


def pvc_row(pvc: dict[str, Any]) -> dict[str, Any]:
    spec = pvc.get("spec") or {}
    status = pvc.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage")
    requested = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    return {
        "namespace": meta(pvc).get("namespace"),
        "name": meta(pvc).get("name"),
        "status": status.get("phase") or "-",
        "capacity": capacity or (f"{requested} requested" if requested else "-"),
        "access_modes": status.get("accessModes") or spec.get("accessModes") or [],
        "storage_class": spec.get("storageClassName") or "-",
        "volume": spec.get("volumeName") or "-",
        "age": age(meta(pvc).get("creationTimestamp")),
    }
