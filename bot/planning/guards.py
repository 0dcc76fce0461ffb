"""Code-level guards on what the model proposes (the prompt alone is never trusted).

Every step, read or write, runs only in the deployment's default context and Docker host or
in one the user named: never in one the model chose. A write or destructive step survives
only when the user's own words (wording.py) ask for that kind of change as a request, not a
question (destructive kinds need a destructive verb), with the verb and the target in the same
clause (a clause without a verb, "and api", continues the one before), name its namespace,
and say every value it carries with that field's phrase in that clause (a number the user did
not say for that target is never a replica count, revision or grace period). Which fields are
values is derived from the catalog declaration.
Instructions planted in logs, events or annotations therefore cannot add a change the user
did not ask for; and every surviving write still needs approval downstream.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from bot.catalog import OPERATIONS, BackendKind, Operation, Risk
from bot.parsing.command_table import COMMANDS
from bot.parsing.values import short_label
from bot.planning.base import Inventory
from bot.planning.prompt import request_words
from bot.planning.wording import CONNECTIVES, Clause, Wording

# English verbs beyond the command words (bot/parsing/command_table.py), by the command's verb, so
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
    "trigger": r"\b(kick\s+off|fire\s+off)\b",
    "stop": r"\b(halt|shutdown|shut\s+down|kill|pause|bring\s+down|turn\s+off)\b",
}
_NOT_VERBS = frozenset({"docker"})  # command prefixes, not verbs
# a context counts as the user's only when named as one ("context admin", "the admin cluster")
CONTEXT_NOUNS = frozenset({"context", "cluster", "ctx", "kubecontext", "kube-context"})
# ... and a Docker host as a host ("on host edge", "--host edge", "-H edge", "the edge host")
HOST_NOUNS = frozenset({"host", "docker-host", "dockerhost", "h", "server", "machine", "node"})
_PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those", "its", "their"})


@cache
def _any_verb() -> re.Pattern[str]:
    """Any catalog verb, read kinds included: a clause with one has a verb of its own."""
    patterns = [p.pattern for kind in OPERATIONS if (p := _intent(kind)) is not None]
    return re.compile("|".join(f"(?:{p})" for p in patterns))


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


def intent_pattern(kind: str) -> re.Pattern[str] | None:
    """The words that ask for `kind` (its command phrases plus English synonyms), or None."""
    return _intent(kind)


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
    return _names(target, set(request_words(wording.text)) & wording.positive_words)


def _names(target: str, words: set[str] | frozenset[str]) -> bool:
    lowered = target.lower()
    for word in words:
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


def _clause_words(clause: Clause) -> set[str]:
    return set(request_words(clause.positive_text)) & set(clause.positive)


@dataclass(frozen=True)
class Binding:
    """The clauses that ask for `op`'s kind about its target, and those whose numbers are its
    values (its own; or, when it says none, the next clause of the same verb: "scale web
    and api to 3")."""

    clauses: tuple[Clause, ...]
    value_clauses: tuple[Clause, ...]


def bind(op: Operation, wording: Wording, known: frozenset[str]) -> Binding:
    """Walk the clauses: a clause with a verb starts a chain; a clause without one continues
    it when it opens with a connective ("in prod", "to 3") or a name ("and api"); anything
    else ("check api") ends it. `known`: names that exist, so "and worker" is a name."""
    pattern = _intent(op.kind)
    target = op.target_name or ""
    bound: list[Clause] = []
    values: list[Clause] = []
    chain: list[Clause] = []  # clauses of the current verb, for "web and api to 3"
    asks = subject = mentioned = False
    sentence = -1
    for clause in wording.clauses:
        if clause.sentence != sentence:
            asks, subject, chain, sentence = False, False, [], clause.sentence
        words = _clause_words(clause)
        names_it = _names(target, words)
        names_any = names_it or any(_names(name, words) for name in known)
        if clause.question:
            asks, subject, chain = False, False, []
        elif _any_verb().search(clause.positive_text):
            asks = pattern is not None and bool(pattern.search(clause.positive_text))
            pronoun = not names_any and bool(_PRONOUNS & set(clause.positive))
            subject, chain = names_it or (pronoun and mentioned), []
        elif clause.lead in CONNECTIVES or clause.lead.isdigit() or not clause.lead:
            pass  # "in prod", "to 3": the same verb and subject
        elif _names(target, {clause.lead}) or any(_names(n, {clause.lead}) for n in known):
            subject = names_it  # "and api": the same verb, another subject
        else:
            asks, subject, chain = False, names_it, []
        mentioned = names_it if names_any else mentioned
        if asks:
            chain.append(clause)
        if asks and subject:
            bound.append(clause)
            values.append(clause)
        elif (
            asks
            and clause.values
            and bound
            and any(c is bound[-1] for c in chain)
            and not bound[-1].values
            and bound[-1] is values[-1]
        ):
            values.append(clause)  # "scale web and api to 3": web borrows api's 3
    return Binding(clauses=tuple(bound), value_clauses=tuple(values))


def _field_phrases(kind: str, name: str) -> tuple[str, ...]:
    """The phrases that say `name` for `kind`: its own, "to N" when it is the command's
    `to_field`, a bare number after the target when it is a positional."""
    command = COMMANDS.get(kind)
    phrases = [name]
    if command is not None and command.to_field == name:
        phrases.append("@to")
    return tuple(phrases)


def _positional(kind: str, name: str, target: str, clause: Clause) -> frozenset[int]:
    """`scale web 5`: a number right after the target, when the command takes it there."""
    command = COMMANDS.get(kind)
    if command is None or name not in command.positionals:
        return frozenset()
    words = list(clause.positive)
    return frozenset(
        int(after)
        for word, after in itertools.pairwise(words)
        if word == target.lower() and after.isdigit()
    )


def unsaid_values(op: Operation, wording: Wording, binding: Binding | None = None) -> list[str]:
    """The values of `op` that the user did not say for it (a declared default needs no
    saying): each must be said with its field's phrase in a clause bound to the step."""
    clauses = (binding or bind(op, wording, frozenset())).value_clauses
    target = op.target_name or ""
    problems = []
    for name, default, required in value_fields(op.kind):
        value = getattr(op, name)
        if not required and value == default:
            continue
        said: set[int] = set()
        for clause in clauses:
            said |= _positional(op.kind, name, target, clause)
            for phrase in _field_phrases(op.kind, name):
                said |= clause.said(phrase)
        if isinstance(value, bool) or not isinstance(value, int) or value not in said:
            problems.append(f"your request did not say {value} ({short_label(name)}) for it")
    return problems


def target_problems(op: Operation, wording: Wording, *, default_context: str | None) -> list[str]:
    """The context and Docker host are the deployment default or the user's: never the
    model's. Applies to every step and lookup, reads included."""
    problems = []
    context = op.scope_context
    if (
        context is not None
        and context != default_context
        and not wording.names_as(context, CONTEXT_NOUNS)
    ):
        problems.append(f"your request did not name context '{context}'")
    host = op.scope_host
    host_field = type(op).model_fields.get("host")
    default_host = host_field.default if host_field is not None else None
    if host is not None and host != default_host and not wording.names_as(host, HOST_NOUNS):
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
        resource = op.named_resource  # the object type the catalog says it acts on
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


def _known_names(op: Operation, inventory: Inventory) -> frozenset[str]:
    """Names that exist beside the target (so "restart web and worker" reads "worker" as a
    name); none when the inventory cannot say (a clause then ends its verb's chain)."""
    try:
        if op.backend == BackendKind.DOCKER:
            return frozenset(inventory.names("containers", namespace=op.scope_host))
        return frozenset(
            name
            for resource in dict.fromkeys(("deployments", "pods", op.named_resource))
            for name in inventory.names(resource, namespace=op.scope_namespace)
        )
    except Exception:  # noqa: BLE001 - unknown names only make the reading stricter
        return frozenset()


def _write_problems(op: Operation, wording: Wording, inventory: Inventory) -> list[str]:
    if not asks_for(op.kind, wording):
        return ["your request did not ask for this change"]
    target = op.target_name or ""
    if not names_target(target, wording):
        problems = [f"your request did not name '{target}'"]
        binding = Binding(clauses=(), value_clauses=())
    else:
        binding = bind(op, wording, _known_names(op, inventory))
        problems = (
            []
            if binding.clauses
            else [f"your request did not ask for this change to '{target}' (say the verb with it)"]
        )
    problems += unsaid_values(op, wording, binding)
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
