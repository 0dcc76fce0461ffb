"""Read-only evidence for a firing alert, from its labels: each read is a catalog operation
built from validated label values, sent to the service as the alert principal's explicit
command (so policy, redaction and audit apply), bounded in count, size and time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from bot.catalog import Operation, parse_operation
from bot.receivers.alertmanager.sink import EvidenceItem

MAX_ITEM_CHARS = 1500
MAX_TOTAL_CHARS = 6000
MAX_SECONDS = 20.0
LOG_LINES = 30


def _op(data: dict[str, Any]) -> Operation | None:
    try:
        return parse_operation(data)
    except ValidationError:
        return None  # a label that is not a valid name is never used


def evidence_operations(labels: dict[str, str]) -> list[Operation]:
    """The reads an alert's labels allow: pod, deployment, node or container."""
    ns = labels.get("namespace")
    pod = labels.get("pod")
    deployment = labels.get("deployment")
    container = labels.get("container")
    node = labels.get("node")
    wanted: list[dict[str, Any]] = []
    if ns and pod:
        wanted.append({"operation": "describe_pod", "namespace": ns, "name": pod})
        logs: dict[str, Any] = {
            "operation": "pod_logs",
            "namespace": ns,
            "name": pod,
            "tail_lines": LOG_LINES,
        }
        if container:
            logs["container"] = container
        if labels.get("alertname") == "KubePodCrashLooping":
            logs["previous"] = True
        wanted.append(logs)
        wanted.append(
            {
                "operation": "list_events",
                "namespace": ns,
                "object_name": pod,
                "warnings_only": True,
                "limit": 10,
            }
        )
    if ns and deployment:
        wanted.append(
            {"operation": "rollout_status_deployment", "namespace": ns, "name": deployment}
        )
        wanted.append(
            {
                "operation": "list_events",
                "namespace": ns,
                "object_name": deployment,
                "warnings_only": True,
                "limit": 10,
            }
        )
    if node:
        wanted.append({"operation": "describe_node", "name": node})
    if not ns and container and labels.get("alertname", "").startswith("Container"):
        wanted.append({"operation": "inspect_container", "container": container})
        wanted.append(
            {"operation": "container_logs", "container": container, "tail_lines": LOG_LINES}
        )
    ops = [_op(w) for w in wanted]
    return [op for op in ops if op is not None]


def gather(
    ops: list[Operation],
    read: Callable[[Operation], str],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> list[EvidenceItem]:
    """Run the reads in order until the time or size budget is spent."""
    from bot.parsing import format_command

    items: list[EvidenceItem] = []
    started = clock()
    total = 0
    for op in ops:
        command = format_command(op)
        if clock() - started > MAX_SECONDS or total >= MAX_TOTAL_CHARS:
            items.append(EvidenceItem(title=command, text="not run: the evidence budget is spent"))
            continue
        text = read(op)
        room = min(MAX_ITEM_CHARS, MAX_TOTAL_CHARS - total)
        if len(text) > room:
            text = text[:room] + "\n… [truncated]"
        total += len(text)
        items.append(EvidenceItem(title=command, text=text))
    return items
