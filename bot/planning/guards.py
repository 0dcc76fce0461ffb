"""Code-level guards on what the model proposes (the prompt alone is never trusted).

A write or destructive step survives only when the user's own request text asks for that kind
of change, names its target, and (when the target exists in several namespaces) names the
namespace. Instructions planted in logs, events or annotations therefore cannot add a change
the user did not ask for; and every surviving write still needs approval downstream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalog import Operation, Risk
from bot.planning.base import Inventory
from bot.planning.prompt import request_words

# imperative verb forms only: "why does api keep restarting?" does not ask for a restart
_RESTART = r"restart|bounce|recycle|reboot|redeploy|kick"
_I = re.IGNORECASE
_WRITE_INTENT: dict[str, re.Pattern[str]] = {
    "scale_deployment": re.compile(
        r"\bscale\b|\b(up|down)\s*size\b|\b(bigger|smaller)\b"
        r"|\b(more|fewer|less|extra|additional|add|remove)\b[^.?!]*\b(replicas?|pods?|instances?|copies)\b"
        r"|\b(set|change|bump|increase|decrease|reduce|raise|lower)\b[^.?!]*\b(replicas?|instances?)\b"
        r"|\b(replicas?|instances?)\s*(to|=|:)\s*\d+",
        _I,
    ),
    "restart_deployment": re.compile(rf"\b({_RESTART}|rollout\s+restart)\b", _I),
    "rollback_deployment": re.compile(
        r"\b(roll\s*back|rollback|revert|undo|downgrade|go\s+back"
        r"|(previous|last|old|earlier)\s+(revision|version|release))\b",
        _I,
    ),
    "delete_pod": re.compile(
        rf"\b(delete|remove|kill|evict|terminate|destroy|nuke|get\s+rid|{_RESTART})\b", _I
    ),
    "start_container": re.compile(r"\b(start|launch|resume|boot|bring\s+up|turn\s+on)\b", _I),
    "stop_container": re.compile(
        r"\b(stop|halt|shutdown|shut\s+down|kill|pause|bring\s+down|turn\s+off)\b", _I
    ),
    "restart_container": re.compile(rf"\b({_RESTART})\b", _I),
}


@dataclass
class GuardResult:
    kept: list[Operation] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    blocked_ops: list[Operation] = field(default_factory=list)


def asks_for(kind: str, text: str) -> bool:
    """Does the user's request text ask for a change of this kind?"""
    pattern = _WRITE_INTENT.get(kind)
    return bool(pattern and pattern.search(text))


def names_target(target: str, text: str) -> bool:
    """Is `target` named in the request: exactly, or as a pod of a named workload?

    A pod counts as named when the request names its workload and the rest of the pod name is
    a generated suffix (`web` -> `web-7f9c4-abcde` or `web-0`, but not `web-canary-1a2b-x`).
    """
    lowered = target.lower()
    for word in request_words(text):
        if lowered == word:
            return True
        if re.fullmatch(rf"{re.escape(word)}(-[a-z0-9]+){{1,2}}", lowered) and not any(
            part.isalpha() and len(part) > 5 for part in lowered[len(word) + 1 :].split("-")
        ):
            return True
    return False


def _namespace_ok(op: Operation, text: str, inventory: Inventory) -> bool:
    namespace = op.scope_namespace
    if namespace is None or namespace.lower() in request_words(text):
        return True
    target = op.target_name
    resource = "pods" if op.kind == "delete_pod" else "deployments"
    try:
        homes = [
            ns for ns in inventory.namespaces() if target in inventory.names(resource, namespace=ns)
        ]
    except Exception:  # noqa: BLE001 - cannot prove the namespace: fail closed
        return False
    return homes == [namespace]


def guard_writes(steps: Sequence[Operation], *, text: str, inventory: Inventory) -> GuardResult:
    result = GuardResult()
    for op in steps:
        if op.risk == Risk.READ:
            result.kept.append(op)
            continue
        target = op.target_name or ""
        if not asks_for(op.kind, text):
            reason = "your request did not ask for this change"
        elif not names_target(target, text):
            reason = f"your request did not name '{target}'"
        elif not _namespace_ok(op, text, inventory):
            reason = f"your request did not name namespace '{op.scope_namespace}'"
        else:
            result.kept.append(op)
            continue
        result.blocked.append(f"{op.describe()}: {reason}")
        result.blocked_ops.append(op)
    return result
