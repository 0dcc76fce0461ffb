"""The question an LLM diagnosis of an alert asks (route `diagnose: true`, LLM configured).

The bot writes it itself, always as a why-question, from the alert's names only after each is
validated by its catalog type: no label value that is not a name and no annotation ever reaches
the model. The planner answers it like any chat question, as the alert principal: its reads
run through policy and are cited ([E1] ...), and a write it proposes is dropped by the same
guards as in chat (bot/planning/guards.py): a question asks for no change, and no person
asked for one. Fixes come from reviewed runbooks only."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from bot.catalog import parse_operation

_ALERTNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def _valid(data: dict[str, Any]) -> bool:
    try:
        parse_operation(data)
    except ValidationError:
        return False
    return True


def _subject(labels: dict[str, str]) -> str | None:
    """What the alert is about, in words, when its names are valid: pod, deployment, node or
    (Docker) container."""
    ns = labels.get("namespace")
    for kind, operation in (("pod", "describe_pod"), ("deployment", "describe_deployment")):
        name = labels.get(kind)
        if ns and name and _valid({"operation": operation, "namespace": ns, "name": name}):
            return f"{kind} {name} in namespace {ns}"
    node = labels.get("node")
    if node and _valid({"operation": "describe_node", "name": node}):
        return f"node {node}"
    container = labels.get("container")
    if not ns and container and _valid({"operation": "inspect_container", "container": container}):
        return f"container {container}"
    return None


def diagnosis_question(labels: dict[str, str]) -> str | None:
    """`why is the alert NAME firing for SUBJECT?`, or None when no subject is a valid name."""
    subject = _subject(labels)
    if subject is None:
        return None
    name = labels.get("alertname", "")
    alert = f"the alert {name}" if _ALERTNAME.fullmatch(name) else "an alert"
    return f"why is {alert} firing for {subject}?"
