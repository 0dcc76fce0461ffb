"""Docker host aliases, one lazily created API client per host, and the retry policy.

Every daemon call goes through `DockerHosts.call`, which applies the timeout, retries only
transient failures (connection errors, 5xx, 429; read timeouts only for idempotent reads) with a
small bounded backoff, and turns whatever is left into a `DockerFailure` with an `ErrorKind`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions

from bot.backends.base import ErrorKind
from bot.backends.connection import refused_address
from bot.redact import redact

T = TypeVar("T")

DEFAULT_ALIAS = "default"
DOCKER_DEFAULT_URL = "unix:///var/run/docker.sock"
RETRY_DELAYS_SECONDS: tuple[float, ...] = (0.1, 0.3)  # three attempts in all, < 0.5 s of waiting


class DockerFailure(Exception):
    """A daemon call that failed for good (after retries where the failure was transient)."""

    def __init__(
        self, *, kind: ErrorKind, message: str, hint: str | None = None, transient: bool = False
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.transient = transient


class DockerHosts:
    """Maps host aliases to daemons and owns one `docker.APIClient` per host.

    The alias "default" is always known: it uses `hosts["default"]` when configured and
    otherwise the environment (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) like
    `docker.from_env`.
    """

    def __init__(
        self,
        *,
        hosts: Mapping[str, str],
        timeout_seconds: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._hosts = dict(hosts)
        self._timeout = timeout_seconds
        self._environ = environ if environ is not None else os.environ
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def timeout_seconds(self) -> float:
        return self._timeout

    def aliases(self) -> list[str]:
        return sorted({DEFAULT_ALIAS, *self._hosts})

    def is_known(self, alias: str) -> bool:
        return alias == DEFAULT_ALIAS or alias in self._hosts

    def url(self, alias: str) -> str:
        """The daemon URL of an alias, with any password in it redacted (safe to show)."""
        if alias in self._hosts:
            raw = self._hosts[alias]
        else:
            raw = self._environ.get("DOCKER_HOST") or DOCKER_DEFAULT_URL
        return redact(raw)

    def unknown_alias(self, alias: str) -> DockerFailure:
        known = ", ".join(self.aliases())
        return DockerFailure(
            kind=ErrorKind.NOT_CONFIGURED,
            message=f"docker host {alias!r} is not configured; configured hosts: {known}",
            hint=f"use one of: {known}, or add it to OPSBOT_DOCKER_HOSTS "
            '(JSON, e.g. {"' + alias + '": "unix:///var/run/docker.sock"})',
        )

    def call(self, alias: str, fn: Callable[[Any], T], *, idempotent: bool) -> T:
        """Run `fn(client)` against the alias's daemon with timeouts and bounded retries."""
        if not self.is_known(alias):
            raise self.unknown_alias(alias)
        for delay in (*RETRY_DELAYS_SECONDS, None):
            try:
                return fn(self._client(alias))
            except DockerFailure as failure:
                if not failure.transient or delay is None:
                    raise
            except Exception as exc:  # classified here; nothing escapes unclassified
                classified = self.classify(exc, alias=alias, idempotent=idempotent)
                if not classified.transient or delay is None:
                    raise classified from exc
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def _client(self, alias: str) -> Any:
        with self._lock:
            client = self._clients.get(alias)
        if client is not None:
            return client
        if alias in self._hosts:
            kwargs: dict[str, Any] = {"base_url": self._hosts[alias]}
        else:
            kwargs = docker.utils.kwargs_from_env(environment=dict(self._environ))
        try:
            # version="auto" asks the daemon once, so any Docker version works.
            client = docker.APIClient(timeout=self._timeout, version="auto", **kwargs)
        except docker.errors.DockerException as exc:
            cause = exc.__cause__
            if isinstance(cause, requests.exceptions.RequestException):
                raise self.classify(cause, alias=alias, idempotent=True) from exc
            raise DockerFailure(
                kind=ErrorKind.NOT_CONFIGURED,
                message=f"docker host {alias!r} ({self.url(alias)}) is misconfigured: "
                + redact(str(exc)),
                hint="check the URL in OPSBOT_DOCKER_HOSTS or DOCKER_HOST "
                "(unix:///path/docker.sock or tcp://host:2376)",
            ) from exc
        with self._lock:
            return self._clients.setdefault(alias, client)

    def classify(self, exc: BaseException, *, alias: str, idempotent: bool) -> DockerFailure:
        """Sort an SDK/transport exception into an ErrorKind, a message and retryability."""
        where = f"docker host {alias!r} ({self.url(alias)})"
        if isinstance(exc, docker.errors.APIError):
            return _api_failure(exc, where=where)
        refused = refused_address(exc, url=self.url(alias))
        if refused is not None:
            return DockerFailure(
                kind=ErrorKind.TEMPORARY,
                message=f"connection refused at {refused}: is the Docker daemon running? ({where})",
                hint="check that dockerd is running and that DOCKER_HOST / OPSBOT_DOCKER_HOSTS "
                "points at its address",
                transient=True,
            )
        if isinstance(
            exc, requests.exceptions.ConnectTimeout | requests.exceptions.ConnectionError
        ):
            return DockerFailure(
                kind=ErrorKind.TEMPORARY,
                message=f"cannot connect to {where}: {_reason(exc)}",
                hint="check that dockerd is running and that DOCKER_HOST / OPSBOT_DOCKER_HOSTS "
                "points at its socket",
                transient=True,
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return DockerFailure(
                kind=ErrorKind.TEMPORARY,
                message=f"{where} did not answer within {self._timeout:g}s",
                hint="try again; if the daemon is just slow, raise OPSBOT_DOCKER_TIMEOUT_SECONDS",
                transient=idempotent,  # a write that timed out may have happened: never resend
            )
        if isinstance(exc, docker.errors.DockerException):
            return DockerFailure(kind=ErrorKind.INTERNAL, message=f"{where}: {redact(str(exc))}")
        return DockerFailure(
            kind=ErrorKind.INTERNAL,
            message=f"unexpected error talking to {where}: {type(exc).__name__}: "
            + redact(str(exc))[:300],
        )


def _api_failure(exc: docker.errors.APIError, *, where: str) -> DockerFailure:
    code = exc.status_code
    explanation = redact(str(exc.explanation or exc))[:500]
    if code == 404:
        return DockerFailure(kind=ErrorKind.NOT_FOUND, message=explanation)
    if code == 409:
        return DockerFailure(
            kind=ErrorKind.CONFLICT,
            message=explanation,
            hint="the container is busy or in a state that does not allow this; "
            "inspect it and try again",
        )
    if code in (401, 403):
        return DockerFailure(
            kind=ErrorKind.FORBIDDEN,
            message=f"{where} refused the call: {explanation}",
            hint="check the bot's access to the Docker socket or its TLS client certificate",
        )
    if code in (400, 422):
        return DockerFailure(kind=ErrorKind.INVALID, message=explanation)
    if code == 429 or (code is not None and code >= 500):
        return DockerFailure(
            kind=ErrorKind.TEMPORARY,
            message=f"{where} answered {code}: {explanation}",
            hint="the daemon reported an error; try again, and check its log if it persists",
            transient=True,
        )
    return DockerFailure(kind=ErrorKind.INTERNAL, message=f"{where} answered {code}: {explanation}")


def _reason(exc: BaseException) -> str:
    """The innermost OS-level reason of a transport error, e.g. 'No such file or directory'."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.strerror:
            return item.strerror
        if isinstance(item, BaseException):
            stack.extend(a for a in item.args if isinstance(a, BaseException))
            for nested in (item.__cause__, item.__context__, getattr(item, "reason", None)):
                if isinstance(nested, BaseException):
                    stack.append(nested)
    return redact(str(exc))[:200]
