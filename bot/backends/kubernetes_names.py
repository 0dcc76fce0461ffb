"""Live names of the objects a plan may name, for grounding (invariant 5).

Which object types, in which API group and whether namespaced follows from the catalog: each
Kubernetes operation's `resource` and the RBAC rule it declares for that resource. The version
is found by discovery: a group's v1 first, else the versions the group serves (batch/v1beta1
CronJobs on Kubernetes 1.20). Other words (`deploy`, `cm`, a CRD's plural for `get KIND NAME`)
are resolved by discovery as kubectl does. Secrets are never listed, not even their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.backends.base import ErrorKind
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_discovery import resolve
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_rest import list_all, request, served_version
from bot.catalog import OPERATION_TYPES, BackendKind
from bot.catalog.reads_ops import names_secrets

MAX_NAMES = 10000
_SHORT = {"po": "pods", "pod": "pods", "deploy": "deployments", "ns": "namespaces"}


@dataclass(frozen=True)
class NamedType:
    """An object type whose names grounding checks: `jobs` in `batch`, `nodes` in core."""

    plural: str
    group: str
    namespaced: bool


@cache
def catalog_types() -> dict[str, NamedType]:
    """Every object type a Kubernetes operation of the catalog acts on, by plural."""
    groups: dict[str, str] = {}
    namespaced: dict[str, bool] = {}
    for op in OPERATION_TYPES:
        if op.backend != BackendKind.KUBERNETES or op.resource == "*":
            continue
        plural = op.resource.split("/")[0]
        for need in op.rbac:
            if need.resource == plural:
                groups.setdefault(plural, need.api_group)
        has_namespace = "namespace" in op.model_fields and plural != "namespaces"
        namespaced[plural] = namespaced.get(plural, False) or has_namespace
    return {p: NamedType(p, g, namespaced.get(p, True)) for p, g in groups.items()}


def _path(group: str, version: str, plural: str, namespace: str | None) -> str:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    return base + (f"/namespaces/{namespace}" if namespace else "") + f"/{plural}"


def _versions(s: KubeSession, group: str) -> tuple[str, ...]:
    """The versions `group` serves, preferred first (GET /apis/GROUP)."""
    body = request(s, "GET", f"/apis/{group}", what=f"API group {group}")
    preferred = str((body.get("preferredVersion") or {}).get("version") or "")
    served = [str(v.get("version")) for v in body.get("versions") or []]
    return tuple(dict.fromkeys([v for v in (preferred, *served) if v]))


def _list(s: KubeSession, t: NamedType, namespace: str | None) -> list[dict[str, Any]]:
    ns = namespace if t.namespaced else None
    if not t.group:
        return list_all(s, _path("", "v1", t.plural, ns), max_items=MAX_NAMES)[0]
    try:
        return list_all(s, _path(t.group, "v1", t.plural, ns), max_items=MAX_NAMES)[0]
    except KubeError as err:
        if err.kind != ErrorKind.NOT_FOUND:
            raise
    version = served_version(s, t.group, t.plural, _versions(s, t.group))
    return list_all(s, _path(t.group, version, t.plural, ns), max_items=MAX_NAMES)[0]


def object_type(s: KubeSession, word: str) -> NamedType:
    """The object type a resource word names: the catalog's own, else by discovery."""
    word = word.lower()
    known = catalog_types()
    word = _SHORT.get(word, word)
    for plural, t in known.items():  # plural or singular: nodes, node, ingress, configmap
        if word in (plural, plural[:-1], plural.removesuffix("es")):
            return t
    found = resolve(s, word)
    return NamedType(found.plural, found.group, found.namespaced)


def live_names(s: KubeSession, word: str, namespace: str | None) -> list[str]:
    """Sorted names of `word` objects in `namespace` (None: everywhere or cluster-scoped)."""
    if names_secrets(word):
        return []
    t = object_type(s, word)
    if names_secrets(t.plural):
        return []
    items = _list(s, t, namespace)
    return sorted({str((i.get("metadata") or {}).get("name")) for i in items})
