"""Which tool families a request is offered, chosen by code from its words and the catalog.

Every catalog operation as a tool costs ~11k prompt tokens per model call; most requests need
one or two resource types. Operations are grouped into *families*, one per resource type (the
parser command's resource, else the catalog's), and a request gets the families its words name:

- a resource word of the parser vocabulary ("sts", "statefulset", "node", "cm") names its family;
- a command verb or its English synonym (guards.intent_pattern: restart/bounce, cordon, drain,
  trigger) names the families of its kinds, unless a family already named has a kind the words
  ask for ("restart the redis statefulset" is the statefulsets family only); a verb shared by
  more than `_GENERIC_VERB_FAMILIES` families (get, list, describe) names nothing;
- when no resource type is named, a summary word specific to one or two families ("taints",
  "schedule", "processes") names them;
- a diagnosis word ("why", "crashing", "failing") adds pods and events (their lookups);
- no resource type and no verb named: DEFAULT_FAMILIES as well (the common ones and the
  generic `get KIND`): "show me api and its warnings" does not say what api is.

The result is sorted in the fixed FAMILY_ORDER, so the offered tool lists are a few stable
lists (one per family set) and prefix caches keep hitting. The model can call `more_tools` to
get the full list in its next turn (tools.py, llm.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from bot.catalog import OPERATION_TYPES, OPERATIONS
from bot.parsing.command_table import COMMANDS
from bot.parsing.vocabulary import OTHER_RESOURCE_WORDS, RESOURCE_WORDS, resource_of
from bot.planning.guards import intent_pattern

OTHER = "other"  # get_resource: any other API resource (CRDs too)
DIAGNOSIS_FAMILIES = ("pods", "events")
DEFAULT_FAMILIES = ("pods", "events", "deployments", "containers", OTHER)
_GENERIC_VERB_FAMILIES = 4
_MIN_SUMMARY_WORD = 5
_WORD = re.compile(r"[a-z0-9][a-z0-9.']*")
_DIAGNOSIS = re.compile(
    r"\b(why|wrong|crash\w*|fail\w*|broken|errors?|slow|unhealthy|pending|stuck|"
    r"issues?|problems?|oom\w*|not\s+ready|investigate|diagnos\w*|troubleshoot\w*)\b"
)
_SUMMARY_STOPWORDS = frozenset(
    {"their", "there", "other", "every", "which", "given", "about", "after", "before", "where"}
)


def family_of(kind: str) -> str:
    """The family of a catalog kind: the resource its command names, else the catalog's."""
    command = COMMANDS.get(kind)
    if command is not None and command.resource:
        return command.resource
    resource = OPERATIONS[kind].resource.split("/")[0]
    if resource == "*":
        return OTHER
    return resource_of(resource) or resource


@cache
def families() -> dict[str, tuple[str, ...]]:
    """Family -> its kinds in catalog order; the dict is in FAMILY_ORDER (catalog order)."""
    out: dict[str, list[str]] = {}
    for op in OPERATION_TYPES:
        out.setdefault(family_of(op.kind), []).append(op.kind)
    return {family: tuple(kinds) for family, kinds in out.items()}


def family_order() -> tuple[str, ...]:
    return tuple(families())


def _forms(word: str) -> set[str]:
    """The word and its naive stems ("restarting" -> "restart", "services" -> "service")."""
    forms = {word, word.removesuffix("'s")}
    for suffix in ("s", "es", "ing", "ed", "d"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:  # "sad" is not "sa"
            forms.add(word[: -len(suffix)])
    return forms


def _words(text: str) -> set[str]:
    lowered = re.sub(r"[/_\-:]", " ", text.lower())
    found: set[str] = set()
    for word in _WORD.findall(lowered):
        found |= _forms(word.strip(".'"))
    return found


@cache
def _resource_index() -> dict[str, frozenset[str]]:
    """Word -> the families it names as a resource type (parser vocabulary + docker words)."""
    index: dict[str, set[str]] = {}
    for family in families():
        words: Iterable[str] = RESOURCE_WORDS.get(family, ())
        if family == "containers":
            words = {"container", "containers", "docker"}
        elif family == OTHER:
            words = OTHER_RESOURCE_WORDS - {"container", "containers"}
        elif family not in RESOURCE_WORDS:
            words = {family}
        for word in words:
            index.setdefault(word, set()).add(family)
    return {word: frozenset(fams) for word, fams in index.items()}


@cache
def _summary_index() -> dict[str, frozenset[str]]:
    """Summary words specific to at most two families (not resource words, not short)."""
    index: dict[str, set[str]] = {}
    for family, kinds in families().items():
        for kind in kinds:
            for word in _WORD.findall(OPERATIONS[kind].summary.lower()):
                word = word.strip(".'").removesuffix("'s")
                if len(word) >= _MIN_SUMMARY_WORD and word not in _SUMMARY_STOPWORDS:
                    index.setdefault(word, set()).add(family)
    resource_words = set(_resource_index())
    return {
        word: frozenset(fams)
        for word, fams in index.items()
        if len(fams) <= 2 and not (_forms(word) & resource_words)
    }


@cache
def _verb_of(kind: str) -> str:
    command = COMMANDS.get(kind)
    if command is None or not command.phrases:
        return kind
    return " ".join(w for w in command.phrases[0] if w != "docker") or kind


@cache
def _verb_families() -> dict[str, frozenset[str]]:
    """Command verb -> the families that have a command with it."""
    out: dict[str, set[str]] = {}
    for family, kinds in families().items():
        for kind in kinds:
            out.setdefault(_verb_of(kind), set()).add(family)
    return {verb: frozenset(fams) for verb, fams in out.items()}


def _asked_by_verb(lowered: str) -> dict[int, set[str]]:
    """The kinds the words ask for, by where their verb ends in the text (one verb, "drain",
    may ask for several kinds: drain_node, and delete_pod through its synonyms)."""
    asked: dict[int, set[str]] = {}
    for kind in OPERATIONS:
        pattern = intent_pattern(kind)
        for match in pattern.finditer(lowered) if pattern is not None else ():
            asked.setdefault(match.end(), set()).add(kind)
        lead = _phrase_lead(kind)
        for match in re.finditer(rf"\b{lead}\b", lowered) if lead else ():
            asked.setdefault(match.end(), set()).add(kind)
    return asked


@cache
def _phrase_lead(kind: str) -> str | None:
    """The first word of a multi-word command phrase, when it says something on its own:
    "rollout" ("how is the web rollout going"), never "how" (of "how is")."""
    command = COMMANDS.get(kind)
    for phrase in command.phrases if command else ():
        words = [w for w in phrase if w != "docker"]
        if len(words) > 1 and len(words[0]) >= _MIN_SUMMARY_WORD:
            return re.escape(words[0])
    return None


def select_families(text: str) -> tuple[str, ...]:
    """The families a request's words name, in FAMILY_ORDER (see the module docstring)."""
    words = _words(text)
    lowered = text.lower()
    index = _resource_index()
    named: set[str] = set().union(*(index.get(w, frozenset()) for w in words))
    chosen = set(named)
    verb_families = _verb_families()
    for kinds in _asked_by_verb(lowered).values():
        families_asked = {family_of(kind) for kind in kinds}
        if families_asked & named:  # "drain node-3": the named family has it, not delete pod
            continue
        for kind in kinds:
            if len(verb_families[_verb_of(kind)]) <= _GENERIC_VERB_FAMILIES:
                chosen.add(family_of(kind))
    by_type_or_verb = bool(chosen)
    summary = _summary_index()
    for word in words if not named else ():  # a named resource type says more than a summary
        fams = summary.get(word, frozenset())
        if fams and not fams & chosen:
            chosen |= fams
    if _DIAGNOSIS.search(lowered):
        chosen.update(DIAGNOSIS_FAMILIES)
        if not named:
            chosen.add("deployments")
    if not by_type_or_verb:  # "show me api and its warnings": api may be any common type
        chosen.update(DEFAULT_FAMILIES)
    return tuple(family for family in families() if family in chosen)
