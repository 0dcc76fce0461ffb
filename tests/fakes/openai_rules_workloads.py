"""Rules of the fake model for StatefulSets, DaemonSets, rollouts and HPAs (issue 12).

Same spirit as tests/fakes/openai_rules.py: keywords to tool calls, no cleverness; names are
taken from the words next to the object type, so grounding gets to judge them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_KINDS = {
    "statefulset": "statefulset",
    "statefulsets": "statefulset",
    "sts": "statefulset",
    "daemonset": "daemonset",
    "daemonsets": "daemonset",
    "ds": "daemonset",
    "hpa": "hpa",
    "hpas": "hpa",
    "autoscaler": "hpa",
    "autoscalers": "hpa",
}
_SKIP = {"the", "a", "my", "of", "for", "in", "to", "is", "how", "going", "rollout", "please"}
_ACTIONS = frozenset(
    ["restart", "bounce", "scale", "describe", "show", "set", "roll", "back", "rollback", "undo",
     "revert", "list", "get", "history", "status", "details", "limits", "change"]
)  # fmt: skip


def _name(words: list[str], at: int) -> str | None:
    """The object's name: the word before its type ("the redis statefulset") or after it."""
    before = [w for w in words[:at] if w not in _SKIP and w not in _ACTIONS]
    after = [w for w in words[at + 1 :] if w not in _SKIP and w not in _ACTIONS]
    if before and (not after or words[at - 1] == before[-1]):
        return before[-1]
    return after[0] if after and not after[0].isdigit() else None


def workload_rule(text: str, ns: str | None, reply: Callable[..., Any]) -> Any | None:
    words = [w for w in re.findall(r"[a-z0-9][a-z0-9_.-]*", text) if w != ns]
    where = next((i for i, w in enumerate(words) if w in _KINDS), None)
    rollout = "rollout" in words or "revisions" in words
    if where is None and not rollout:
        return None
    kind = _KINDS[words[where]] if where is not None else "deployment"
    if where is None:  # "how is the web rollout going": the word before "rollout"
        at = words.index("rollout") if "rollout" in words else words.index("revisions")
        name = _name(words, at)
    else:
        name = _name(words, where)
    plural = where is not None and words[where].endswith("s") and words[where] != "ds"
    if kind != "hpa" and re.search(r"\b(history|revisions)\b", text):
        return reply(f"rollout_history_{kind}", name=name, namespace=ns)
    if kind != "hpa" and re.search(r"\b(going|progress\w*|status|done)\b", text) and rollout:
        return reply(f"rollout_status_{kind}", name=name, namespace=ns)
    if kind == "hpa":
        low = re.search(r"\bmin(?:imum)?\s+(?:to\s+)?(\d+)", text)
        high = re.search(r"\bmax(?:imum)?\s+(?:to\s+)?(\d+)", text)
        if low or high:
            return reply(
                "set_hpa_replicas",
                name=name,
                namespace=ns,
                min_replicas=int(low.group(1)) if low else None,
                max_replicas=int(high.group(1)) if high else None,
            )
    if re.search(r"\b(restart|bounce)\b", text) and kind != "hpa":
        return reply(f"restart_{kind}", name=name, namespace=ns)
    if re.search(r"\b(roll\s*back|rollback|undo|revert)\b", text) and kind != "hpa":
        rev = re.search(r"revision\s+(\d+)", text)
        return reply(
            f"rollback_{kind}",
            name=name,
            namespace=ns,
            to_revision=int(rev.group(1)) if rev else None,
        )
    if re.search(r"\bscale\b", text) and kind == "statefulset":
        count = re.search(r"\bto\s+(\d+)", text)
        if count is None:
            return reply("ask_clarification", question="How many replicas?")
        return reply("scale_statefulset", name=name, namespace=ns, replicas=int(count.group(1)))
    if plural or name is None or re.search(r"\b(list|all|which)\b", text):
        return reply(f"list_{kind}s", namespace=ns)
    return reply(f"describe_{kind}", name=name, namespace=ns)
