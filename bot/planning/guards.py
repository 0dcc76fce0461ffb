"""Code-level guards on what the model proposes (the prompt alone is never trusted).

Every step, read or write, runs only in the deployment's default context and Docker host or
in one the user named: never in one the model chose. A write or destructive step survives
only when the user's own words (wording.py) ask for that kind of change as a request, not a
question (destructive kinds need a destructive verb), name its target and its namespace, and
say every value it carries (a number the user did not say is never a replica count, revision
or grace period). Which fields are values is derived from the catalog declaration.
Instructions planted in logs, events or annotations therefore cannot add a change the user
did not ask for; and every surviving write still needs approval downstream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from bot.catalog import OPERATIONS, Operation, Risk
from bot.parsing.commands import COMMANDS
from bot.parsing.values import short_label
from bot.planning.base import Inventory
from bot.planning.prompt import request_words
from bot.planning.wording import Wording

# English verbs beyond the command words (bot/parsing/commands.py), by the command's verb, so
# every kind written with that verb (restart deploy/sts/ds/container) gets the same synonyms.
_RESTART = r"restart|bounce|recycle|reboot|redeploy|kick"
_SYNONYMS: dict[str, str] = {
    "scale": r"\b(up|down)\s*size\b|\b(bigger|smaller)\b"
    r"|\b(more|fewer|less|extra|additional|add|remove)\b[^.?!]*\b(replicas?|pods?|instances?|copies)\b"
    r"|\b(set|change|bump|increase|decrease|reduce|raise|lower)\b[^.?!]*\b(replicas?|instances?)\b"
    r"|\b(replicas?|instances?)\s*(to|=|:)\s*\d+",
    "restart": rf"\b({_RESTART})\b",
    "rollback": r"\b(roll\s*back|revert|downgrade|go\s+back"
    r"|(previous|last|old|earlier)\s+(revision|version|release))\b",
    # destructive: only destructive verbs ("restart web" never deletes its pods)
    "delete": r"\b(remove|kill|evict|terminate|destroy|nuke|drain|get\s+rid)\b",
    "start": r"\b(launch|resume|boot|bring\s+up|turn\s+on)\b",
    "stop": r"\b(halt|shutdown|shut\s+down|kill|pause|bring\s+down|turn\s+off)\b",
}
_NOT_VERBS = frozenset({"docker"})  # command prefixes, not verbs


@cache
def _intent(kind: str) -> re.Pattern[str] | None:
    """The words that ask for `kind`: its command phrases plus English synonyms."""
    command = COMMANDS.get(kind)
    phrases = [
        r"\s+".join(re.escape(w) for w in phrase if w not in _NOT_VERBS)
        for phrase in (command.phrases if command else ())
        if phrase
    ]
    parts = [rf"\b({'|'.join(p for p in phrases if p)})\b"] if any(phrases) else []
    verbs = [w for w in (command.phrases[0] if command and command.phrases else ()) if w]
    verb = next((w for w in verbs if w not in _NOT_VERBS), None)
    if verb in _SYNONYMS:
        parts.append(_SYNONYMS[verb])
    return re.compile("|".join(parts)) if parts else None


def _wording(text: str | Wording) -> Wording:
    return text if isinstance(text, Wording) else Wording.of(text)


def asks_for(kind: str, text: str | Wording) -> bool:
    """Does a request clause (not a question, not after a negation) ask for this kind?"""
    pattern = _intent(kind)
    if pattern is None:
        return False
    return any(pattern.search(clause.positive_text) for clause in _wording(text).requests)


def names_target(target: str, text: str | Wording) -> bool:
    """Is `target` named in the request: exactly, or as a pod of a named workload?

    A pod counts as named when the request names its workload and the rest of the pod name is
    a generated suffix (`web` -> `web-7f9c4-abcde` or `web-0`, but not `web-canary-1a2b-x`).
    Words after a negation ("not api") name nothing.
    """
    wording = _wording(text)
    lowered = target.lower()
    named = set(request_words(wording.text)) & wording.positive_words
    for word in named:
        if lowered == word:
            return True
        if re.fullmatch(rf"{re.escape(word)}(-[a-z0-9]+){{1,2}}", lowered) and not any(
            part.isalpha() and len(part) > 5 for part in lowered[len(word) + 1 :].split("-")
        ):
            return True
    return False


@cache
def value_fields(kind: str) -> tuple[tuple[str, Any, bool], ...]:
    """(field, declared default, required) of the fields of `kind` that carry values rather
    than names: every field that is not a string (names, namespaces, contexts, hosts and
    selectors are strings in the catalog) and not the discriminator."""
    fields = []
    for name, info in OPERATIONS[kind].model_fields.items():
        if name == "operation":
            continue
        types = get_args(info.annotation) or (info.annotation,)
        if str in (get_args(t)[0] if get_origin(t) is Annotated else t for t in types):
            continue
        fields.append((name, info.default, info.is_required()))
    return tuple(fields)


def unsaid_values(op: Operation, wording: Wording) -> list[str]:
    """The values of `op` that the user did not say (a declared default needs no saying)."""
    problems = []
    for name, default, required in value_fields(op.kind):
        value = getattr(op, name)
        if not required and value == default:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value not in wording.numbers:
            problems.append(f"your request did not say {value} ({short_label(name)})")
    return problems


def target_problems(op: Operation, wording: Wording, *, default_context: str | None) -> list[str]:
    """The context and Docker host are the deployment default or the user's: never the
    model's. Applies to every step and lookup, reads included."""
    problems = []
    context = op.scope_context
    if context is not None and context != default_context and not wording.names(context):
        problems.append(f"your request did not name context '{context}'")
    host = op.scope_host
    host_field = type(op).model_fields.get("host")
    default_host = host_field.default if host_field is not None else None
    if host is not None and host != default_host and not wording.names(host):
        problems.append(f"your request did not name Docker host '{host}'")
    return problems


def _namespace_problem(op: Operation, wording: Wording, inventory: Inventory) -> str | None:
    namespace = op.scope_namespace
    if namespace is None:
        return None
    problem = f"your request did not name namespace '{namespace}'"
    if wording.negates(namespace):  # "in rt-other, not like rt-secrets"
        return problem
    if wording.names(namespace):
        return None
    try:
        if any(wording.names(ns) for ns in inventory.namespaces()):
            return problem  # the user named another namespace
        # no namespace named: only the target's one and only home will do
        target = op.target_name
        resource = op.resource.split("/")[0]  # the object type the catalog says it acts on
        homes = [
            ns for ns in inventory.namespaces() if target in inventory.names(resource, namespace=ns)
        ]
    except Exception:  # noqa: BLE001 - cannot prove the namespace: fail closed
        return problem
    return None if homes == [namespace] else problem


@dataclass
class GuardResult:
    kept: list[Operation] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    blocked_ops: list[Operation] = field(default_factory=list)


def _write_problems(op: Operation, wording: Wording, inventory: Inventory) -> list[str]:
    if not asks_for(op.kind, wording):
        return ["your request did not ask for this change"]
    target = op.target_name or ""
    problems = [] if names_target(target, wording) else [f"your request did not name '{target}'"]
    problems += unsaid_values(op, wording)
    namespace = _namespace_problem(op, wording, inventory)
    return problems + ([namespace] if namespace else [])


def guard_writes(
    steps: Sequence[Operation],
    *,
    text: str | Wording,
    inventory: Inventory,
    default_context: str | None = None,
) -> GuardResult:
    """Keep the steps the user's words allow; explain each one blocked."""
    wording = _wording(text)
    result = GuardResult()
    for op in steps:
        problems = target_problems(op, wording, default_context=default_context)
        if not problems and op.risk != Risk.READ:
            problems = _write_problems(op, wording, inventory)
        if not problems:
            result.kept.append(op)
            continue
        result.blocked.append(f"{op.describe()}: {'; '.join(problems)}")
        result.blocked_ops.append(op)
    return result
