"""Docker findings per host: containers that exited with an error, are unhealthy, or keep
restarting. One list call per host (all containers), plus one inspect per running or
restarting container to read its restart count."""

from __future__ import annotations

import re
from typing import Any

from bot.backends.base import ErrorKind
from bot.backends.docker_hosts import DockerFailure, DockerHosts
from bot.catalog.docker_ops import (
    ContainerLogs,
    InspectContainer,
    RestartContainer,
    StartContainer,
)
from bot.redact import redact, truncate
from bot.reports.models import Finding, Severity
from bot.reports.scope import Thresholds
from bot.reports.sink import FindingSink
from bot.reports.suggestions import suggestion, suggestions

_EXIT_CODE = re.compile(r"Exited \((-?\d+)\)")
MAX_INSPECTS_PER_HOST = 200


def collect_docker(
    hosts: DockerHosts,
    *,
    aliases: list[str],
    thresholds: Thresholds,
    sink: FindingSink,
    expected: frozenset[str] = frozenset(),
) -> None:
    """An unreachable host in `expected` (configured on purpose) is a critical finding; other
    failures (e.g. no local daemon behind the implicit "default") are notes."""
    for alias in aliases:
        try:
            _collect_host(hosts, alias=alias, th=thresholds, sink=sink)
        except DockerFailure as failure:
            if failure.kind == ErrorKind.TEMPORARY and alias in expected:
                sink.add(
                    Finding(
                        severity=Severity.CRITICAL,
                        source="docker",
                        scope=alias,
                        kind="source_unreachable",
                        subject="daemon",
                        title=f"Docker host {alias} is unreachable",
                        detail=failure.message,
                        next_step="Nothing on this host could be checked. Check that dockerd "
                        "runs and that the bot can reach its socket.",
                    )
                )
            else:
                sink.note(f"Docker {alias}: {failure.message}")


def _collect_host(hosts: DockerHosts, *, alias: str, th: Thresholds, sink: FindingSink) -> None:
    rows: list[dict[str, Any]] = hosts.call(
        alias, lambda c: c.containers(all=True), idempotent=True
    )
    inspected = 0
    for row in rows:
        sink.count("containers")
        name = _name(row)
        state = str(row.get("State") or "")
        status = str(row.get("Status") or "")
        restarts: int | None = None
        if state in ("running", "restarting") and inspected < MAX_INSPECTS_PER_HOST:
            inspected += 1
            restarts = _restart_count(hosts, alias=alias, container_id=str(row["Id"]))
        finding = _finding(alias, name, state, status, restarts, th)
        if finding is not None:
            sink.count(finding.kind)
            sink.add(finding)


def _finding(
    alias: str, name: str, state: str, status: str, restarts: int | None, th: Thresholds
) -> Finding | None:
    logs = suggestion(ContainerLogs, container=name, host=alias, tail_lines=50)
    inspect = suggestion(InspectContainer, container=name, host=alias)
    restart = suggestion(RestartContainer, container=name, host=alias)
    start = suggestion(StartContainer, container=name, host=alias)
    clean_status = truncate(redact(status), max_chars=120, keep="head")[0]
    if state == "restarting" or (restarts is not None and restarts >= th.restart_count):
        return Finding(
            severity=Severity.CRITICAL,
            source="docker",
            scope=alias,
            kind="container_restarting",
            subject=f"container/{name}",
            title=f"Container {name} keeps restarting"
            + (f" ({restarts} restarts)" if restarts else ""),
            detail=clean_status,
            next_step="Read its logs to see why it exits; its restart policy starts it again "
            "each time.",
            commands=suggestions(logs, inspect),
        )
    if "(unhealthy)" in status:
        return Finding(
            severity=Severity.WARNING,
            source="docker",
            scope=alias,
            kind="container_unhealthy",
            subject=f"container/{name}",
            title=f"Container {name} is unhealthy",
            detail=clean_status,
            next_step="Its health check fails; inspect it for the last check outputs, read its "
            "logs, and restart it if it is stuck.",
            commands=suggestions(inspect, logs, restart),
        )
    if state in ("exited", "dead"):
        m = _EXIT_CODE.search(status)
        code = int(m.group(1)) if m else None
        if state == "dead" or (code is not None and code != 0):
            return Finding(
                severity=Severity.WARNING,
                source="docker",
                scope=alias,
                kind="container_exited_error",
                subject=f"container/{name}",
                title=f"Container {name} exited with code {code if code is not None else '?'}",
                detail=clean_status
                + (" (137: killed, possibly out of memory)" if code == 137 else ""),
                next_step="Read its last logs to see why it failed; start it again once fixed.",
                commands=suggestions(logs, start),
            )
    return None


def _restart_count(hosts: DockerHosts, *, alias: str, container_id: str) -> int | None:
    def inspect(client: Any) -> dict[str, Any]:
        info: dict[str, Any] = client.inspect_container(container_id)
        return info

    try:
        return int(hosts.call(alias, inspect, idempotent=True).get("RestartCount") or 0)
    except DockerFailure as failure:
        if failure.kind == ErrorKind.NOT_FOUND:  # removed since the list call
            return None
        raise


def _name(row: dict[str, Any]) -> str:
    names = row.get("Names") or []
    if names:
        return str(names[0]).lstrip("/")
    return str(row.get("Id", "?"))[:12]
