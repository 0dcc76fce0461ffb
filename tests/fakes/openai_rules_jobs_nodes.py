"""Rules of the fake model for CronJobs, Jobs and Nodes (issue 12).

Same spirit as tests/fakes/openai_rules.py: keywords to tool calls, no cleverness; names are
taken from the words next to the object type (or after a node verb: "drain node-3"), so
grounding gets to judge them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_KINDS = {
    "cronjob": "cronjob",
    "cronjobs": "cronjob",
    "cj": "cronjob",
    "job": "job",
    "jobs": "job",
    "node": "node",
    "nodes": "node",
}
_NODE_VERBS = ("uncordon", "cordon", "drain")  # uncordon first: it contains "cordon"
_SKIP = {"the", "a", "my", "of", "for", "in", "to", "is", "please", "now", "right", "it", "so"}
_ACTIONS = frozenset(
    ["trigger", "run", "kick", "off", "suspend", "pause", "resume", "unsuspend", "unpause",
     "describe", "show", "list", "get", "delete", "remove", "clean", "up", "details", "status",
     "cordon", "uncordon", "drain", "which", "what", "are", "there", "all", "finished", "once",
     "again", "stop", "scheduling", "on", "onto", "take", "out", "rotation", "manually"]
)  # fmt: skip


def _name(words: list[str], at: int) -> str | None:
    """The object's name: the word before its type ("the nightly-backup cronjob") or after."""
    before = [w for w in words[:at] if w not in _SKIP and w not in _ACTIONS]
    after = [w for w in words[at + 1 :] if w not in _SKIP and w not in _ACTIONS]
    if before and at > 0 and words[at - 1] == before[-1]:
        return before[-1]
    return after[0] if after else (before[-1] if before else None)


def jobs_nodes_rule(text: str, ns: str | None, reply: Callable[..., Any]) -> Any | None:
    words = [w for w in re.findall(r"[a-z0-9][a-z0-9_.-]*", text) if w != ns]
    verb = next((v for v in _NODE_VERBS if re.search(rf"\b{v}\b", text)), None)
    where = next((i for i, w in enumerate(words) if w in _KINDS), None)
    if verb is not None and (where is None or _KINDS[words[where]] == "node"):
        at = words.index(verb)
        rest = [w for w in words[at + 1 :] if w not in _SKIP and w not in _KINDS]
        name = rest[0] if rest else None
        return reply(f"{verb}_node", name=name)
    if where is None:
        return None
    kind = _KINDS[words[where]]
    name = _name(words, where)
    listing = words[where].endswith("s") or name is None or re.search(r"\b(list|all|which)\b", text)
    if kind == "node":
        if re.search(r"\b(reboot|restart|taint|label|delete)\b", text):
            return reply("abstain", reason="That node operation is outside what I can do.")
        if listing:
            return reply("list_nodes")
        return reply("describe_node", name=name)
    if kind == "cronjob":
        if re.search(r"\b(trigger|run|kick\s+off)\b", text):
            return reply("trigger_cronjob", name=name, namespace=ns)
        if re.search(r"\b(resume|unsuspend|unpause)\b", text):
            return reply("resume_cronjob", name=name, namespace=ns)
        if re.search(r"\b(suspend|pause)\b", text):
            return reply("suspend_cronjob", name=name, namespace=ns)
        if listing:
            return reply("list_cronjobs", namespace=ns)
        return reply("describe_cronjob", name=name, namespace=ns)
    if re.search(r"\b(delete|remove|clean\s+up)\b", text):
        return reply("delete_job", name=name, namespace=ns)
    if listing:
        return reply("list_jobs", namespace=ns)
    return reply("describe_job", name=name, namespace=ns)
