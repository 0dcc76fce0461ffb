"""Turn raw Docker API JSON into small, redacted summaries and readable text.

Everything the daemon returns is untrusted: env values are never shown, labels and commands go
through the redactor, and only the fields an operator needs are kept.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from bot.redact import REDACTED, redact, redact_data, redact_env
from bot.redact_rules import is_secret_key

_EXITED = re.compile(r"^Exited \((-?\d+)\)")
_FLAG_NAME = re.compile(r"--?[A-Za-z0-9_.-]+")


def container_name(names: list[str] | None, fallback: str) -> str:
    """The primary name of a container as `docker ps` shows it (without the leading slash)."""
    for name in names or []:
        clean = name.lstrip("/")
        if "/" not in clean:  # legacy link aliases look like /other/alias
            return clean
    return fallback


def list_row(raw: dict[str, Any]) -> dict[str, Any]:
    """One row of GET /containers/json, reduced to what an operator reads."""
    status = str(raw.get("Status") or "")
    row: dict[str, Any] = {
        "name": container_name(raw.get("Names"), str(raw.get("Id", ""))[:12]),
        "id": str(raw.get("Id", ""))[:12],
        "image": str(raw.get("Image", "")),
        "state": str(raw.get("State", "")),
        "status": status,
    }
    exited = _EXITED.match(status)
    if exited:
        row["exit_code"] = int(exited.group(1))
    return redact_data(row)  # type: ignore[no-any-return]


def list_table(rows: list[dict[str, Any]]) -> str:
    headers = ("NAME", "STATE", "STATUS", "IMAGE")
    cells = [(r["name"], r["state"], r["status"], r["image"]) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() for c in cells]
    return "\n".join(lines)


def state_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The state a write changes, from GET /containers/{id}/json: used for before/after."""
    state = raw.get("State") or {}
    out: dict[str, Any] = {
        "running": bool(state.get("Running")),
        "status": str(state.get("Status", "")),
        "exit_code": state.get("ExitCode"),
        "started_at": state.get("StartedAt"),
        "finished_at": state.get("FinishedAt"),
        "restart_count": int(raw.get("RestartCount") or 0),
    }
    if state.get("Paused"):
        out["paused"] = True
    health = (state.get("Health") or {}).get("Status")
    if health:
        out["health"] = str(health)
    return out


def redact_command(args: list[str] | None) -> str:
    """A command line with secrets hidden: the value after a flag that names a secret
    (`--db-pass X`), then the whole line through `redact` (so `mysql -pX`, `--token=X`, URLs
    and tokens are judged with the words around them)."""
    shown: list[str] = []
    hide_next = False
    for arg in args or []:
        shown.append(REDACTED if hide_next else arg)
        hide_next = not hide_next and bool(
            _FLAG_NAME.fullmatch(arg) and is_secret_key(arg.lstrip("-"))
        )
    line = " ".join(a if a == REDACTED else shlex.quote(a) for a in shown)
    return redact(line)


def inspect_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """GET /containers/{id}/json reduced and redacted: env names only, labels redacted."""
    config = raw.get("Config") or {}
    host_config = raw.get("HostConfig") or {}
    restart_policy = (host_config.get("RestartPolicy") or {}).get("Name") or "no"
    state = state_of(raw)
    error = str((raw.get("State") or {}).get("Error") or "")
    if error:
        state["error"] = redact(error)
    if (raw.get("State") or {}).get("OOMKilled"):
        state["oom_killed"] = True
    command = [*_as_list(config.get("Entrypoint")), *_as_list(config.get("Cmd"))]
    return {
        "name": str(raw.get("Name", "")).lstrip("/"),
        "id": str(raw.get("Id", ""))[:12],
        "image": str(config.get("Image", "")),
        "created": raw.get("Created"),
        "state": state,
        "restart_policy": str(restart_policy),
        "command": redact_command([str(a) for a in command]),
        "env": redact_env([str(e) for e in config.get("Env") or []]),
        "labels": redact_data(dict(config.get("Labels") or {})),
        "network_mode": str(host_config.get("NetworkMode", "")),
        "mounts": [
            redact(f"{m.get('Source') or m.get('Name') or '?'} -> {m.get('Destination')}")
            for m in raw.get("Mounts") or []
        ],
    }


def _as_list(value: Any) -> list[Any]:
    """Entrypoint/Cmd are lists, but null or (from old clients) a plain string also occur."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def inspect_text(summary: dict[str, Any]) -> str:
    state = summary["state"]
    status = state["status"]
    if not state["running"] and state.get("exit_code") is not None:
        status += f" (exit code {state['exit_code']})"
    lines = [
        f"name: {summary['name']}  id: {summary['id']}",
        f"image: {summary['image']}",
        f"state: {status}; started {state.get('started_at')}; finished {state.get('finished_at')}",
        f"restarts: {state['restart_count']}  restart policy: {summary['restart_policy']}",
        f"command: {summary['command']}",
    ]
    if state.get("health"):
        lines.append(f"health: {state['health']}")
    if state.get("error"):
        lines.append(f"error: {state['error']}")
    if state.get("oom_killed"):
        lines.append("oom killed: yes")
    if summary["env"]:
        lines.append("env: " + ", ".join(f"{k}={v}" for k, v in summary["env"].items()))
    if summary["labels"]:
        lines.append("labels: " + ", ".join(f"{k}={v}" for k, v in summary["labels"].items()))
    if summary["mounts"]:
        lines.append("mounts: " + ", ".join(summary["mounts"]))
    lines.append(f"network: {summary['network_mode']}")
    return "\n".join(lines)


def describe_state(state: dict[str, Any]) -> str:
    """'running' or 'exited (exit code 137)', for one-line result texts."""
    if state.get("running"):
        return "running"
    text = str(state.get("status") or "stopped")
    if state.get("exit_code") is not None and text == "exited":
        text += f" (exit code {state['exit_code']})"
    return text
