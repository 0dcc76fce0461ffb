"""API discovery: which group version serves a resource, and what a kubectl-style resource word
(`cm`, `deploy`, `certificates.cert-manager.io`, `secrets.v1.`) names on this cluster.

Raw GETs go through the session (impersonation, timeout, retries, the call log) with the Accept
header the caller needs (server-side Table output, for one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kubernetes.client.exceptions import ApiException

from bot.backends.base import ErrorKind
from bot.backends.kubernetes_client import KubeSession
from bot.backends.kubernetes_errors import KubeError

JSON = "application/json"
_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")


def get_json(
    s: KubeSession,
    path: str,
    *,
    query: dict[str, Any] | None = None,
    accept: str = JSON,
    what: str | None = None,
) -> dict[str, Any]:
    """GET any API path as JSON (through the session's retries and identity)."""
    clean = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    call = "GET " + path + (f"?{urlencode(clean)}" if clean else "")
    api = s.api_client

    def fetch(*, _preload_content: bool, _request_timeout: float) -> Any:
        method, url, headers, body, post = api.param_serialize(
            "GET",
            path,
            query_params=list(clean.items()),
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        response = api.call_api(method, url, headers, body, post, _request_timeout=_request_timeout)
        if not 200 <= response.status <= 299:
            response.read()  # type: ignore[no-untyped-call]
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response

    return s.json(call, fetch, what=what)


@dataclass(frozen=True)
class ApiResource:
    """One resource type a group version serves (subresources left out)."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...]
    verbs: tuple[str, ...]

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How kubectl names it unambiguously: `deployments.apps`, `pods`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def named_by(self, word: str) -> bool:
        return word in (self.plural, self.singular, self.kind.lower(), *self.short_names)

    def path(self, *, namespace: str | None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [base]
        if self.namespaced and namespace is not None:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)


def group_resources(s: KubeSession, group: str, version: str) -> list[ApiResource]:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    body = get_json(s, path, what=f"API group version {group or 'core'}/{version}")
    return [
        ApiResource(
            group=group,
            version=version,
            plural=str(r.get("name")),
            singular=str(r.get("singularName") or "") or str(r.get("kind", "")).lower(),
            kind=str(r.get("kind", "")),
            namespaced=bool(r.get("namespaced")),
            short_names=tuple(str(n) for n in r.get("shortNames") or []),
            verbs=tuple(str(v) for v in r.get("verbs") or []),
        )
        for r in body.get("resources") or []
        if "/" not in str(r.get("name", ""))
    ]


def api_groups(s: KubeSession) -> list[dict[str, Any]]:
    """The named API groups (`GET /apis`), in the server's order."""
    groups: list[dict[str, Any]] = get_json(s, "/apis").get("groups") or []
    return groups


def served_version(s: KubeSession, group: str, preferred: tuple[str, ...]) -> str | None:
    """The first of `preferred` the cluster serves for `group` (None: none of them)."""
    for entry in api_groups(s):
        if entry.get("name") == group:
            served = {str(v.get("version")) for v in entry.get("versions") or []}
            return next((v for v in preferred if v in served), None)
    return None


def _candidates(s: KubeSession, group: str | None, version: str | None) -> Iterator[ApiResource]:
    """Resources to match, core first then each group's preferred version (as kubectl)."""
    if group == "" or group is None:
        yield from group_resources(s, "", version or "v1")
        if group == "":
            return
    for entry in api_groups(s):
        name = str(entry.get("name"))
        if group is not None and name != group:
            continue
        served = [str(v.get("version")) for v in entry.get("versions") or []]
        chosen = version or str((entry.get("preferredVersion") or {}).get("version") or "")
        if chosen in served:
            yield from group_resources(s, name, chosen)


def resolve(s: KubeSession, word: str) -> ApiResource:
    """The resource a kubectl-style word names: `NAME`, `NAME.GROUP` or `NAME.VERSION.GROUP`
    (a trailing dot means the core group, as in `pods.v1.`)."""
    name, dot, rest = word.lower().partition(".")
    group: str | None = None
    version: str | None = None
    if dot:
        first, _, after = rest.partition(".")
        if _VERSION.fullmatch(first) and (after or rest.endswith(".") or rest == first):
            version, group = first, after
        else:
            group = rest
    for resource in _candidates(s, group, version):
        if resource.named_by(name):
            return resource
    raise KubeError(
        kind=ErrorKind.NOT_FOUND,
        message=f"the cluster serves no resource type {word!r}",
        call="; ".join(s.calls),
    )
