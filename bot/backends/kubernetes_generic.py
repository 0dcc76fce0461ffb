"""`get KIND [NAME]` for any resource the cluster serves, rendered from the server's own Table
(`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, v1beta1 for older servers), so the
columns are the ones kubectl shows, CRDs' additionalPrinterColumns included.
"""

from __future__ import annotations

from typing import Any

from bot.backends.base import ErrorKind, Result, Status
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_discovery import JSON, ApiResource, get_json, resolve
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_render import age, meta, table
from bot.catalog.reads_ops import SECRET_WORDS, GetResource, names_secrets
from bot.redact import redact, redact_data

TABLE_ACCEPT = ",".join(
    [
        "application/json;as=Table;v=v1;g=meta.k8s.io",
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
        JSON,
    ]
)
MAX_ROWS = 500


SECRETS_REFUSED = "Secrets are never readable through the bot, whatever the policy says"


def refuse_secrets(resource: ApiResource, call: str) -> None:
    """No path reads Secrets: not core `secrets`, not another group's `secrets`, not any
    resource of kind Secret (whatever short name or alias reached it)."""
    if resource.plural in SECRET_WORDS or resource.kind.lower() in SECRET_WORDS:
        raise KubeError(
            kind=ErrorKind.FORBIDDEN,
            message=f"{SECRETS_REFUSED} ({resource.qualified} is kind {resource.kind})",
            call=call,
        )


def get_resource(s: KubeSession, op: GetResource) -> Result:
    if names_secrets(op.resource_type):  # the catalog refuses these; this holds without it
        raise KubeError(kind=ErrorKind.FORBIDDEN, message=SECRETS_REFUSED, call="(not sent)")
    resource = resolve(s, op.resource_type)
    refuse_secrets(resource, "; ".join(s.calls))
    if "list" not in resource.verbs and "get" not in resource.verbs:
        raise KubeError(
            kind=ErrorKind.INVALID,
            message=f"{resource.qualified} cannot be read (the server offers no get or list)",
            call="; ".join(s.calls),
        )
    namespace = None if op.all_namespaces else op.namespace
    path = resource.path(namespace=namespace, name=op.name)
    query = {"includeObject": "Metadata"} | ({} if op.name else {"limit": MAX_ROWS})
    what = f"{resource.singular or resource.plural} {op.name}" if op.name else None
    body = get_json(s, path, query=query, accept=TABLE_ACCEPT, what=what)
    headers, rows = _table_of(body)
    every = resource.namespaced and namespace is None
    if every:
        headers = ["NAMESPACE", *headers]
    cells = [([r["namespace"]] if every else []) + r["cells"] for r in rows]
    where = (
        ""
        if not resource.namespaced
        else (" in any namespace" if every else f" in namespace {op.namespace}")
    )
    data: dict[str, Any] = {
        "resource": resource.qualified,
        "group_version": resource.group_version,
        "namespaced": resource.namespaced,
        "columns": headers,
        "rows": redact_data(cells),
        "count": len(cells),
    }
    call = "; ".join(s.calls)
    if not cells:
        return Result(
            status=Status.NO_DATA, call=call, data=data, text=f"No {resource.qualified}{where}."
        )
    cut = bool((body.get("metadata") or {}).get("continue"))
    text = table(headers, cells)
    if cut:
        text += f"\n… [only the first {MAX_ROWS} shown; narrow it with a namespace]"
    return Result(status=Status.SUCCESS, call=call, data=data, text=redact(text), truncated=cut)


def _table_of(body: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(headers, rows with `cells` and `namespace`) from a Table; from a plain object or list
    (a server without Table support) NAME and AGE only."""
    if body.get("kind") == "Table":
        columns = body.get("columnDefinitions") or []
        shown = [i for i, c in enumerate(columns) if int(c.get("priority") or 0) == 0]
        headers = [str(columns[i].get("name", "")).upper() for i in shown]
        rows = []
        for row in body.get("rows") or []:
            values = row.get("cells") or []
            obj = row.get("object") or {}
            rows.append(
                {
                    "namespace": str(meta(obj).get("namespace") or "-"),
                    "cells": [_cell(values[i]) if i < len(values) else "" for i in shown],
                }
            )
        return headers, rows
    items = body.get("items") if "items" in body else [body]
    return ["NAME", "AGE"], [
        {
            "namespace": str(meta(item).get("namespace") or "-"),
            "cells": [str(meta(item).get("name")), age(meta(item).get("creationTimestamp"))],
        }
        for item in items or []
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
