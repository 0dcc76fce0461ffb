"""Recognising a refused connection in a transport error chain, and where it was refused.

urllib3 makes NewConnectionError a subclass of ConnectTimeoutError, so an `isinstance(...,
TimeoutError)` check reports an API server that is not running as one that is slow."""

from __future__ import annotations

from urllib.parse import urlsplit


def _chain(exc: BaseException) -> list[object]:
    """`exc` and everything it wraps: args, causes, contexts and urllib3's `reason`."""
    seen: set[int] = set()
    found: list[object] = []
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        found.append(item)
        if isinstance(item, BaseException):
            stack.extend(a for a in item.args if isinstance(a, BaseException))
            for nested in (item.__cause__, item.__context__, getattr(item, "reason", None)):
                if isinstance(nested, BaseException):
                    stack.append(nested)
    return found


def is_refused(exc: BaseException) -> bool:
    return any(isinstance(item, ConnectionRefusedError) for item in _chain(exc))


def refused_address(exc: BaseException, *, url: str | None = None) -> str | None:
    """`host:port` (or a socket path) when `exc` is a refused connection, else None. The address
    comes from the connection or pool urllib3 records, else from `url`."""
    if not is_refused(exc):
        return None
    for item in _chain(exc):
        # `pool` read from the instance: on NewConnectionError it is a deprecated property
        for holder in (getattr(item, "conn", None), vars(item).get("pool")):
            host, port = getattr(holder, "host", None), getattr(holder, "port", None)
            if isinstance(host, str) and host and isinstance(port, int):
                return f"{host}:{port}"
    if url:
        parts = urlsplit(url)
        if parts.hostname and parts.port:
            return f"{parts.hostname}:{parts.port}"
        return parts.path or url
    return "the configured address"
