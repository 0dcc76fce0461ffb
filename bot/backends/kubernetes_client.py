"""Kubernetes API sessions: one client per (context, impersonated user), every call with a
timeout, transient failures retried with a small bounded exponential backoff.

Responses are read raw (`_preload_content=False`) and parsed as JSON: the backend works on the
same plain dicts the API server sends, which is also much faster for large lists.
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3._collections import HTTPHeaderDict

from bot.backends.base import ErrorKind
from bot.backends.kubernetes_errors import KubeError, from_api_exception, from_transport_error

ApiClientFactory = Callable[[str | None], client.ApiClient]

DRY_RUN = "All"  # the server-side dry run every write preview sends
CONFLICT_ATTEMPTS = 3  # writes carrying a resourceVersion re-read and retry a 409 this often


def with_dry_run(call: str) -> str:
    """How a dry-run call shows in Result.call."""
    return call + ("&" if "?" in call else "?") + f"dryRun={DRY_RUN}"


MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.1
MAX_RETRY_AFTER_SECONDS = 5.0
LIST_PAGE_SIZE = 500


class ImpersonatingApiClient(client.ApiClient):
    """Sends Impersonate-User and one Impersonate-Group header per group on every request."""

    def __init__(self, configuration: Any, *, user: str, groups: tuple[str, ...]) -> None:
        super().__init__(configuration=configuration)
        self.impersonate_user = user
        self.impersonate_groups = groups

    def call_api(
        self,
        method: str,
        url: str,
        header_params: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        headers = HTTPHeaderDict(header_params or {})
        headers["Impersonate-User"] = self.impersonate_user
        for group in self.impersonate_groups:
            headers.add("Impersonate-Group", group)
        return super().call_api(method, url, headers, body, post_params, _request_timeout)


def isolated_configuration(api_client: client.ApiClient) -> Any:
    """A copy of a client's configuration with urllib3's own retries off (we retry ourselves,
    so a timeout is not silently multiplied and a dropped connection is seen)."""
    cfg = copy.deepcopy(api_client.configuration)
    cfg.retries = False
    return cfg


# What building a client can raise when the kubeconfig or the in-cluster config is missing or
# broken: callers outside bot/backends catch these without importing the kubernetes package.
CLIENT_CONFIG_ERRORS: tuple[type[Exception], ...] = (
    ConfigException,
    OSError,
    TypeError,
    ValueError,
)


def kubeconfig_contexts() -> list[str]:
    """The kubeconfig's context names (KUBECONFIG or ~/.kube/config); [] without one."""
    try:
        contexts, _active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=os.environ.get("KUBECONFIG") or None
        )
    except Exception:  # noqa: BLE001 - no usable kubeconfig: no context can be named
        return []
    return [str(c["name"]) for c in contexts or [] if isinstance(c, dict) and c.get("name")]


def kubeconfig_current_context() -> str | None:
    """The kubeconfig's current-context name (KUBECONFIG or ~/.kube/config); None when there
    is no usable kubeconfig."""
    try:
        _contexts, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=os.environ.get("KUBECONFIG") or None
        )
    except Exception:  # noqa: BLE001 - no usable kubeconfig: nothing to name
        return None
    name = active.get("name") if isinstance(active, dict) else None
    return name if isinstance(name, str) else None


def default_factory(*, context: str | None, in_cluster: bool) -> ApiClientFactory:
    """Clients from the pod's ServiceAccount, or from the kubeconfig (KUBECONFIG or ~/.kube)."""

    def make(op_context: str | None) -> client.ApiClient:
        if in_cluster and op_context is None:
            cfg = client.Configuration()
            config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            return client.ApiClient(configuration=cfg)
        # KUBECONFIG is read now, not when the kubernetes package was imported.
        made: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=os.environ.get("KUBECONFIG") or None, context=op_context or context
        )
        return made

    return make


class KubeSession:
    """The APIs for one identity, with timeouts and retries, and the calls it made."""

    def __init__(self, api_client: client.ApiClient, *, timeout: float, identity: str) -> None:
        self.api_client = api_client
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.version = client.VersionApi(api_client)
        self.timeout = timeout
        self.identity = identity
        self.calls: list[str] = []

    def raw(
        self, call: str, fn: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any
    ) -> bytes:
        """Invoke a generated client method; retry transient failures; raise KubeError."""
        self.calls.append(call)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = fn(
                    *args, _preload_content=False, _request_timeout=self.timeout, **kwargs
                )
                data: bytes = response.data
                return data
            except ApiException as exc:
                error = from_api_exception(exc, call=call, what=what)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                error = from_transport_error(exc, call=call, timeout=self.timeout)
            if not error.retryable or attempt == MAX_ATTEMPTS:
                if error.retryable:
                    error.message += f" (after {MAX_ATTEMPTS} attempts)"
                raise error
            time.sleep(backoff_delay(attempt, error.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def json(
        self, call: str, fn: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        data = self.raw(call, fn, *args, what=what, **kwargs)
        try:
            parsed = json.loads(data or b"{}")
        except ValueError as exc:
            raise KubeError(
                kind=ErrorKind.INTERNAL,
                message=f"the API answered with invalid JSON: {exc}",
                call=call,
            ) from exc
        return parsed if isinstance(parsed, dict) else {"value": parsed}

    def text(
        self, call: str, fn: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any
    ) -> str:
        return self.raw(call, fn, *args, what=what, **kwargs).decode("utf-8", errors="replace")

    def pages(
        self,
        call: str,
        fn: Callable[..., Any],
        *args: Any,
        page_size: int = LIST_PAGE_SIZE,
        max_items: int | None = None,
        **kwargs: Any,
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Follow limit/continue through a list, one page at a time: (items, more) where `more`
        says the server has more. Stops after `max_items` items (never asks for more); the
        pages of one listing are one logical call in `calls`."""
        seen = 0
        token: str | None = None
        while True:
            limit = page_size if max_items is None else min(page_size, max_items - seen)
            page_kwargs = dict(kwargs, limit=limit)
            if token:
                page_kwargs["_continue"] = token
                self.calls.pop()
            page = self.json(call, fn, *args, **page_kwargs)
            items: list[dict[str, Any]] = page.get("items") or []
            seen += len(items)
            token = (page.get("metadata") or {}).get("continue")
            yield items, bool(token)
            if not token or (max_items is not None and seen >= max_items):
                return

    def pages_in(
        self,
        call: str,
        namespace: str | None,
        *,
        everywhere: Callable[..., Any],
        namespaced: Callable[..., Any],
        page_size: int = LIST_PAGE_SIZE,
        max_items: int | None = None,
        **selectors: Any,
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """`pages` of one namespace's objects, or of every namespace's when `namespace` is None
        (`everywhere`: the list_X_for_all_namespaces method, `namespaced`: list_namespaced_X)."""
        fn, args = (everywhere, ()) if namespace is None else (namespaced, (namespace,))
        return self.pages(call, fn, *args, page_size=page_size, max_items=max_items, **selectors)

    def list_all(
        self, call: str, fn: Callable[..., Any], *args: Any, max_items: int, **kwargs: Any
    ) -> tuple[list[dict[str, Any]], bool]:
        """A whole list, at most `max_items`: (items, cut_short)."""
        return _gather(self.pages(call, fn, *args, max_items=max_items, **kwargs))

    def list_in(
        self,
        call: str,
        namespace: str | None,
        *,
        everywhere: Callable[..., Any],
        namespaced: Callable[..., Any],
        max_items: int,
        **selectors: Any,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One namespace's objects, or every namespace's when `namespace` is None, at most
        `max_items`: (items, cut_short)."""
        pages = self.pages_in(
            call,
            namespace,
            everywhere=everywhere,
            namespaced=namespaced,
            max_items=max_items,
            **selectors,
        )
        return _gather(pages)


def _gather(
    pages: Iterator[tuple[list[dict[str, Any]], bool]],
) -> tuple[list[dict[str, Any]], bool]:
    """All items of `pages`, and whether the server had more when they stopped."""
    items: list[dict[str, Any]] = []
    cut = False
    for batch, more in pages:
        items.extend(batch)
        cut = more
    return items, cut


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Retry-After when the server sends it (capped), else 0.1s, 0.2s, ... with jitter."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, MAX_RETRY_AFTER_SECONDS)
    base: float = BACKOFF_BASE_SECONDS * (2 ** (attempt - 1))
    return base + random.uniform(0, base / 2)  # noqa: S311 (jitter, not crypto)


class SessionPool:
    """Caches base clients per context and impersonating clients per (context, user, groups)."""

    def __init__(self, factory: ApiClientFactory, *, timeout: float, max_clients: int = 64) -> None:
        self._factory = factory
        self._timeout = timeout
        self._max = max_clients
        self._lock = threading.Lock()
        self._clients: dict[tuple[str | None, str | None, tuple[str, ...]], client.ApiClient] = {}

    def session(
        self, *, context: str | None, user: str | None = None, groups: tuple[str, ...] = ()
    ) -> KubeSession:
        key = (context, user, groups if user else ())
        with self._lock:
            api = self._clients.get(key)
            if api is None:
                api = self._build(context, user, groups)
                if len(self._clients) >= self._max:
                    self._clients.pop(next(iter(self._clients)))
                self._clients[key] = api
        return KubeSession(api, timeout=self._timeout, identity=user or "the bot's own identity")

    def _build(
        self, context: str | None, user: str | None, groups: tuple[str, ...]
    ) -> client.ApiClient:
        base = self._factory(context)
        cfg = isolated_configuration(base)
        if user:
            return ImpersonatingApiClient(cfg, user=user, groups=groups)
        return client.ApiClient(configuration=cfg)
