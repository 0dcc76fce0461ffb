"""Turn Kubernetes client failures into one small error type with a kind, a clear message and
whether a retry may help (5xx, 429, timeouts and connection errors; never other 4xx)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import urllib3
from kubernetes.client.exceptions import ApiException

from bot.backends.base import ErrorKind
from bot.backends.connection import refused_address
from bot.redact import redact

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_KIND_BY_STATUS = {
    400: ErrorKind.INVALID,
    401: ErrorKind.FORBIDDEN,
    403: ErrorKind.FORBIDDEN,
    404: ErrorKind.NOT_FOUND,
    409: ErrorKind.CONFLICT,
    410: ErrorKind.CONFLICT,
    415: ErrorKind.INVALID,
    422: ErrorKind.INVALID,
}
_FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) resource "(?P<res>[^"]*)"'
    r'(?: in API group "(?P<group>[^"]*)")?(?P<where>.*)$'
)


@dataclass(eq=False)
class KubeError(Exception):
    """A failed call, after retries where they may help; `message` is safe to show."""

    kind: ErrorKind
    message: str
    call: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


def _status_message(exc: ApiException) -> tuple[str, str]:
    """The `message` and `reason` of a Kubernetes `Status` body, when there is one."""
    body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
    try:
        status = json.loads(body or "")
    except ValueError:
        return (str(body or exc.reason or "").strip(), str(exc.reason or ""))
    if not isinstance(status, dict):
        return (str(body), str(exc.reason or ""))
    return (str(status.get("message") or exc.reason or ""), str(status.get("reason") or ""))


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def from_api_exception(exc: ApiException, *, call: str, what: str | None) -> KubeError:
    code = int(exc.status or 0)
    message, reason = _status_message(exc)
    kind = _KIND_BY_STATUS.get(
        code, ErrorKind.TEMPORARY if code >= 500 or code == 429 else ErrorKind.INTERNAL
    )
    if code == 404 and what:
        text = f"{what} not found"
    elif code == 403:
        text = forbidden_text(message)
    elif code == 401:
        text = f"the Kubernetes API rejected the bot's credentials (401 {reason or 'Unauthorized'})"
    elif code == 409:
        text = f"conflict: {message}"
    elif code == 429:
        text = "the Kubernetes API is rate limiting requests (429 Too Many Requests)"
    elif code >= 500:
        text = f"the Kubernetes API failed with {code} {reason or ''}: {message}".strip()
    else:
        text = f"{code} {reason}: {message}".strip()
    return KubeError(
        kind=kind,
        message=redact(text),
        call=call,
        status=code,
        retryable=code in _RETRYABLE_STATUS,
        retry_after=_retry_after(exc),
    )


def forbidden_text(message: str) -> str:
    """`User "bob" may not patch deployments/scale in namespace "prod"` from the server's text."""
    m = _FORBIDDEN.search(message)
    if not m:
        return f"forbidden by the cluster's RBAC: {message}"
    where = m.group("where").strip()
    group = m.group("group")
    resource = f"{m.group('res')}.{group}" if group else m.group("res")
    return (
        f'forbidden: Kubernetes user "{m.group("user")}" may not {m.group("verb")} {resource} '
        f"{where} (cluster RBAC)"
    ).replace("  ", " ")


def from_transport_error(exc: Exception, *, call: str, timeout: float) -> KubeError:
    refused = refused_address(exc)
    if refused is not None:  # before the timeout check: urllib3 files refusals under timeouts
        text = f"connection refused at {refused}: is the Kubernetes API server running?"
    elif isinstance(exc, urllib3.exceptions.TimeoutError):
        text = f"the Kubernetes API did not answer within {timeout:g}s"
    elif isinstance(exc, urllib3.exceptions.MaxRetryError | urllib3.exceptions.NewConnectionError):
        text = f"cannot connect to the Kubernetes API: {type(exc).__name__}"
    else:
        text = f"the connection to the Kubernetes API failed: {type(exc).__name__}: {exc}"
    return KubeError(kind=ErrorKind.TEMPORARY, message=redact(text), call=call, retryable=True)
