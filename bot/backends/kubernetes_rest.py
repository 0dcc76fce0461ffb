"""Plain REST calls for API group versions the generated client does not carry (batch/v1beta1,
policy/v1beta1) and discovery of which version a cluster serves.

Calls go through the session's ApiClient (so impersonation, timeouts, retries and error
mapping are the same as for generated methods) and answer the raw JSON dicts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bot.backends.base import ErrorKind
from bot.backends.kubernetes_client import LIST_PAGE_SIZE, KubeSession
from bot.backends.kubernetes_errors import KubeError

MERGE_PATCH = "application/merge-patch+json"
JSON = "application/json"


def _send(
    api_client: Any,
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    content_type: str = JSON,
    _preload_content: bool = False,
    _request_timeout: Any = None,
) -> Any:
    """One request as a generated method would send it; a non-2xx answer raises ApiException."""
    request = api_client.param_serialize(
        method=method,
        resource_path=path,
        query_params=[(k, v) for k, v in (query or {}).items() if v is not None] or None,
        header_params={"Accept": JSON, "Content-Type": content_type},
        body=body,
        auth_settings=["BearerToken"],
    )
    return api_client._call_with_legacy_options(request, {}, None, False, _request_timeout, True)


def call_text(method: str, path: str, query: dict[str, Any] | None = None) -> str:
    """How a call shows in Result.call: `GET /apis/batch/v1beta1/...?labelSelector=x`."""
    clean = {k: v for k, v in (query or {}).items() if v not in (None, False, "")}
    return f"{method} {path}" + (f"?{urlencode(clean)}" if clean else "")


def request(
    s: KubeSession,
    method: str,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    body: Any = None,
    content_type: str = JSON,
    what: str | None = None,
) -> dict[str, Any]:
    """A JSON request through the session (retries, error mapping, call recorded)."""
    return s.json(
        call_text(method, path, query),
        _send,
        s.api_client,
        method,
        path,
        query=query,
        body=body,
        content_type=content_type,
        what=what,
    )


def list_all(
    s: KubeSession,
    path: str,
    *,
    max_items: int,
    query: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Every item of a list, at most `max_items`: (items, cut_short). The limit/continue pages
    are followed by `KubeSession.pages`, as for generated methods."""
    query = query or {}
    first = dict(query, limit=min(LIST_PAGE_SIZE, max_items))
    return s.list_all(
        call_text("GET", path, first), _get_page, s.api_client, path, query, max_items=max_items
    )


def _get_page(
    api_client: Any,
    path: str,
    query: dict[str, Any],
    *,
    limit: int,
    _continue: str | None = None,
    **options: Any,
) -> Any:
    """`_send` for one page of a list, taking the paging arguments of a generated method."""
    page = dict(query, limit=limit) | ({"continue": _continue} if _continue else {})
    return _send(api_client, "GET", path, query=page, **options)


def served_version(s: KubeSession, group: str, resource: str, versions: tuple[str, ...]) -> str:
    """The first of `versions` (newest first) in which the cluster serves `resource` of
    `group`, found by discovery (GET /apis/GROUP/VERSION)."""
    for version in versions:
        try:
            listing = request(s, "GET", f"/apis/{group}/{version}")
        except KubeError as err:
            if err.kind == ErrorKind.NOT_FOUND:
                continue
            raise
        if any(r.get("name") == resource for r in listing.get("resources") or []):
            return version
    raise KubeError(
        kind=ErrorKind.NOT_FOUND,
        call="; ".join(s.calls),
        message=f"this cluster serves {resource} in none of "
        + ", ".join(f"{group}/{v}" for v in versions),
    )


def cronjob_version(s: KubeSession) -> str:
    """batch/v1 CronJobs (Kubernetes 1.21+) or batch/v1beta1 (1.8 to 1.24)."""
    return served_version(s, "batch", "cronjobs", ("v1", "v1beta1"))


def policy_version(s: KubeSession) -> str:
    """policy/v1 Evictions and PodDisruptionBudgets (1.21+) or policy/v1beta1 (older)."""
    return served_version(s, "policy", "poddisruptionbudgets", ("v1", "v1beta1"))
