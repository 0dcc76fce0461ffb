"""The Docker backend: catalog operations on containers through the docker SDK's API client.

Never raises into the orchestration: every outcome is a `Result` naming the exact daemon call
("POST /containers/web-1/stop?t=10 on host default"). Docker has no server-side dry run, so
`preview` inspects the container and checks that the transition makes sense.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.backends import docker_stats
from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.dispatch import Dispatch, handler
from bot.backends.docker_hosts import DockerFailure, DockerHosts
from bot.backends.docker_render import (
    describe_state,
    inspect_summary,
    inspect_text,
    list_row,
    list_table,
    state_of,
)
from bot.catalog import BackendKind, Operation
from bot.catalog.docker_ops import (
    ContainerLogs,
    DockerOperation,
    InspectContainer,
    ListContainers,
    RestartContainer,
    StartContainer,
    StopContainer,
)
from bot.catalog.reads_ops import DockerStats, DockerTop
from bot.config import Settings
from bot.models import Principal
from bot.redact import redact, truncate

log = logging.getLogger(__name__)

WriteOp = StartContainer | StopContainer | RestartContainer


class _Failed(Exception):
    """Internal: carries the error Result of a failed call up to `execute`/`preview`."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.error)
        self.result = result


class DockerBackend:
    """Runs Docker catalog operations against the hosts in `settings.docker_hosts`."""

    name = "docker"

    def __init__(self, *, settings: Settings) -> None:
        self._settings = settings
        self._hosts = DockerHosts(
            hosts=settings.docker_hosts, timeout_seconds=settings.docker_timeout_seconds
        )

    # --- Backend protocol

    def execute(self, op: Operation, *, actor: Principal | None = None) -> Result:
        """Run the operation for real (Docker has no impersonation: `actor` is not used)."""
        started = time.perf_counter()
        try:
            result = self._dispatch(op)
        except _Failed as failed:
            result = failed.result
        except Exception as exc:
            log.exception("Docker backend failed on %s", op.kind)
            result = Result(
                status=Status.ERROR,
                call=f"(failed while running {op.describe()})",
                error=f"internal error in the Docker backend: {type(exc).__name__}: "
                + redact(str(exc))[:300],
                error_kind=ErrorKind.INTERNAL,
                hint="this is a bug in opsbot; check the container's state before retrying",
            )
        return result.model_copy(update={"duration_ms": _ms_since(started)})

    def preview(self, op: Operation, *, actor: Principal | None = None) -> Preview:
        """Current vs desired state; the dry run checks existence and the transition."""
        if not isinstance(op, DockerOperation):
            return Preview(note=f"{op.kind} is not a Docker operation")
        entry = DISPATCH.handler_for(op)
        if entry is None or entry.preview is None:
            return Preview(note="read-only: nothing changes")
        return entry.preview(self, op)

    def _preview_write(self, op: WriteOp) -> Preview:
        started = time.perf_counter()
        desired = _desired(op)
        try:
            self._guard(op)
            call = self._call_text(op, f"GET /containers/{op.container}/json")
            raw = self._request(op, call, lambda c: c.inspect_container(op.container))
        except _Failed as failed:
            dry_run = failed.result.model_copy(update={"duration_ms": _ms_since(started)})
            return Preview(desired=desired, dry_run=dry_run, note=failed.result.error)
        current = state_of(raw)
        status, verdict = _transition(op, current)
        dry_run = Result(
            status=status,
            call=call,
            data={"current": current, "desired": desired},
            text=verdict,
            duration_ms=_ms_since(started),
        )
        note = (
            f"{verdict}. Docker has no server-side dry run: checked that {op.container} exists "
            f"on host {op.host} and that the change makes sense; nothing was changed."
        )
        return Preview(current=current, desired=desired, dry_run=dry_run, note=note)

    def check(self) -> str | None:
        """None when every configured daemon answers /_ping, else one line naming the hosts."""
        if self._settings.docker_disabled:
            return "docker backend disabled (OPSBOT_DOCKER_DISABLED=true)"
        problems: list[str] = []
        for alias in self._hosts.aliases():
            try:
                self._hosts.call(alias, lambda c: c.ping(), idempotent=True)
            except DockerFailure as failure:
                problems.append(failure.message)
        return "; ".join(problems) or None

    def known_names(
        self, resource: str, *, namespace: str | None = None, host: str | None = None
    ) -> list[str]:
        """Live container names (all states) on `host`; "hosts" lists the aliases.

        Docker has no namespaces: a caller that only knows the generic scope may pass the host
        alias as `namespace`. Unreachable hosts give an empty list (see `check`).
        """
        if resource == "hosts":
            return self._hosts.aliases()
        if resource not in ("containers", "container"):
            return []
        alias = host or namespace or "default"
        if self._settings.docker_disabled or not self._hosts.is_known(alias):
            return []
        try:
            raw = self._hosts.call(alias, lambda c: c.containers(all=True), idempotent=True)
        except DockerFailure:
            return []
        return sorted(list_row(r)["name"] for r in raw)

    def close(self) -> None:
        """Close the HTTP sessions to every daemon."""
        self._hosts.close()

    # --- operations

    def _dispatch(self, op: Operation) -> Result:
        if not isinstance(op, DockerOperation):
            return Result(
                status=Status.ERROR,
                call=f"(none: {op.kind} is not a Docker operation)",
                error=f"the Docker backend cannot run {op.kind}",
                error_kind=ErrorKind.INVALID,
            )
        self._guard(op)
        entry = DISPATCH.handler_for(op)
        if entry is not None:
            return entry.execute(self, op)
        return Result(
            status=Status.ERROR,
            call=f"(none: {op.kind} on host {op.host})",
            error=f"the Docker backend does not implement {op.kind}",
            error_kind=ErrorKind.INVALID,
        )

    def _list(self, op: ListContainers) -> Result:
        call = self._call_text(op, "GET /containers/json" + ("?all=1" if op.all else ""))
        raw = self._request(op, call, lambda c: c.containers(all=op.all))
        rows = sorted((list_row(r) for r in raw), key=lambda r: str(r["name"]))
        data = {"host": op.host, "all": op.all, "containers": rows}
        if not rows:
            which = "containers" if op.all else "running containers (add --all for stopped ones)"
            return Result(status=Status.NO_DATA, call=call, data=data, text=f"no {which}")
        text, cut = truncate(
            list_table(rows), max_chars=self._settings.max_output_chars, keep="head"
        )
        return Result(status=Status.SUCCESS, call=call, data=data, text=text, truncated=cut)

    def _inspect(self, op: InspectContainer) -> Result:
        call = self._call_text(op, f"GET /containers/{op.container}/json")
        summary = inspect_summary(
            self._request(op, call, lambda c: c.inspect_container(op.container))
        )
        text, cut = truncate(
            inspect_text(summary), max_chars=self._settings.max_output_chars, keep="head"
        )
        return Result(status=Status.SUCCESS, call=call, data=summary, text=text, truncated=cut)

    def _logs(self, op: ContainerLogs) -> Result:
        since = int(time.time()) - op.since_seconds if op.since_seconds else None
        query = f"stdout=1&stderr=1&tail={op.tail_lines}" + (f"&since={since}" if since else "")
        call = self._call_text(op, f"GET /containers/{op.container}/logs?{query}")
        raw = self._request(
            op,
            call,
            lambda c: c.logs(
                op.container, stdout=True, stderr=True, tail=op.tail_lines, since=since
            ),
        )
        log = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        data: dict[str, Any] = {
            "host": op.host,
            "container": op.container,
            "tail_lines": op.tail_lines,
            "lines": len(log.splitlines()),
        }
        if not log.strip():
            return Result(
                status=Status.NO_DATA, call=call, data=data, text="(no log lines in that window)"
            )
        # Redact the whole log first so a cut never leaves half a secret unmatched.
        text, cut = truncate(redact(log), max_chars=self._settings.max_output_chars, keep="tail")
        return Result(status=Status.SUCCESS, call=call, data=data, text=text, truncated=cut)

    def _write(self, op: WriteOp) -> Result:
        inspect = self._call_text(op, f"GET /containers/{op.container}/json")
        before = state_of(self._request(op, inspect, lambda c: c.inspect_container(op.container)))
        request, action, verb = _write_call(op)
        call = self._call_text(op, request)
        self._request(op, call, action, idempotent=False)
        try:
            after: dict[str, Any] | None = state_of(
                self._request(op, inspect, lambda c: c.inspect_container(op.container))
            )
        except _Failed:
            after = None
        data = {"host": op.host, "container": op.container, "before": before, "after": after}
        if isinstance(op, StartContainer) and before["running"]:
            text = f"{op.container} on host {op.host} was already running; nothing changed"
        elif isinstance(op, StopContainer) and not before["running"]:
            text = f"{op.container} on host {op.host} was already stopped; nothing changed"
        elif after is None:
            text = f"{verb} {op.container} on host {op.host}; its state afterwards is unknown"
        else:
            text = (
                f"{verb} {op.container} on host {op.host}: "
                f"{describe_state(before)} -> {describe_state(after)}"
            )
            if not isinstance(op, StopContainer) and not after["running"]:
                text += " (it is not running now: check its logs)"
        return Result(
            status=Status.SUCCESS, call=call, data=data, text=text, before=before, after=after
        )

    # --- plumbing

    def _guard(self, op: DockerOperation) -> None:
        """Fail early (with the call that would have been made) when the host cannot be used."""
        if self._settings.docker_disabled:
            raise _Failed(
                Result(
                    status=Status.ERROR,
                    call=f"(not sent: {op.describe()})",
                    error="the Docker backend is disabled",
                    error_kind=ErrorKind.NOT_CONFIGURED,
                    hint="unset OPSBOT_DOCKER_DISABLED to enable it",
                )
            )
        if not self._hosts.is_known(op.host):
            failure = self._hosts.unknown_alias(op.host)
            raise _Failed(
                Result(
                    status=Status.ERROR,
                    call=f"(not sent: {op.describe()})",
                    error=failure.message,
                    error_kind=failure.kind,
                    hint=failure.hint,
                    data={"configured_hosts": self._hosts.aliases()},
                )
            )

    def _call_text(self, op: DockerOperation, request: str) -> str:
        return f"{request} on host {op.host}"

    def _request(
        self,
        op: DockerOperation,
        call: str,
        fn: Callable[[Any], Any],
        *,
        idempotent: bool = True,
    ) -> Any:
        try:
            return self._hosts.call(op.host, fn, idempotent=idempotent)
        except DockerFailure as failure:
            raise _Failed(self._failure_result(op, call, failure)) from failure

    def _failure_result(self, op: DockerOperation, call: str, failure: DockerFailure) -> Result:
        container = getattr(op, "container", None)
        if failure.kind != ErrorKind.NOT_FOUND or container is None:
            return Result(
                status=Status.ERROR,
                call=call,
                error=failure.message,
                error_kind=failure.kind,
                hint=failure.hint,
            )
        names = self.known_names("containers", host=op.host)
        suggestions = _did_you_mean(container, names)
        error = f"no container {container!r} on host {op.host}"
        if suggestions:
            hint = f"did you mean {' or '.join(suggestions)}?"
            error += f"; {hint}"
        else:
            hint = "`docker ps --all` lists the containers on that host"
        return Result(
            status=Status.ERROR,
            call=call,
            data={"suggestions": suggestions},
            error=redact(error),
            error_kind=ErrorKind.NOT_FOUND,
            hint=redact(hint),
        )


# The one list of Docker operations this backend runs (checked against the catalog at import).
DISPATCH: Dispatch[DockerBackend] = Dispatch(
    BackendKind.DOCKER,
    [
        handler(ListContainers, DockerBackend._list),
        handler(InspectContainer, DockerBackend._inspect),
        handler(ContainerLogs, DockerBackend._logs),
        handler(StartContainer, DockerBackend._write, DockerBackend._preview_write),
        handler(StopContainer, DockerBackend._write, DockerBackend._preview_write),
        handler(RestartContainer, DockerBackend._write, DockerBackend._preview_write),
        # day-2 reads (bot/backends/docker_stats.py)
        handler(DockerStats, docker_stats.docker_stats),
        handler(DockerTop, docker_stats.docker_top),
    ],
)


def _write_call(op: WriteOp) -> tuple[str, Callable[[Any], Any], str]:
    """The exact request, the SDK call and the past-tense verb of a write."""
    if isinstance(op, StartContainer):
        return f"POST /containers/{op.container}/start", lambda c: c.start(op.container), "started"
    if isinstance(op, StopContainer):
        return (
            f"POST /containers/{op.container}/stop?t={op.timeout_seconds}",
            lambda c: c.stop(op.container, timeout=op.timeout_seconds),
            "stopped",
        )
    return (
        f"POST /containers/{op.container}/restart?t={op.timeout_seconds}",
        lambda c: c.restart(op.container, timeout=op.timeout_seconds),
        "restarted",
    )


def _desired(op: WriteOp) -> dict[str, Any]:
    if isinstance(op, StopContainer):
        return {"running": False, "status": "exited"}
    if isinstance(op, RestartContainer):
        return {"running": True, "status": "running", "restarted": True}
    return {"running": True, "status": "running"}


def _transition(op: WriteOp, current: dict[str, Any]) -> tuple[Status, str]:
    """Whether the write would change anything, and a sentence saying what it would do."""
    name, now = op.container, describe_state(current)
    if isinstance(op, StartContainer):
        if current.get("paused"):
            return Status.NO_DATA, f"{name} is paused; start would not resume it"
        if current["running"]:
            return Status.NO_DATA, f"{name} is already running; start would change nothing"
        return Status.SUCCESS, f"would start {name} (now {now})"
    if isinstance(op, StopContainer):
        if not current["running"]:
            return Status.NO_DATA, f"{name} is already stopped ({now}); stop would change nothing"
        return Status.SUCCESS, (
            f"would stop {name}: SIGTERM, then SIGKILL after {op.timeout_seconds}s"
        )
    if not current["running"]:
        return Status.SUCCESS, f"{name} is not running ({now}); restart would start it"
    return Status.SUCCESS, (
        f"would restart {name}: stop (SIGKILL after {op.timeout_seconds}s), then start"
    )


def _did_you_mean(name: str, names: list[str], *, limit: int = 3) -> list[str]:
    """Names that extend the given one (web -> web-1) first, then close spellings."""
    prefixed = [n for n in names if n.startswith(f"{name}-") or n.startswith(f"{name}_")]
    fuzzy = difflib.get_close_matches(name, names, n=limit, cutoff=0.6)
    return list(dict.fromkeys(prefixed[:limit] + fuzzy))[:limit]


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
