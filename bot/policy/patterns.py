"""Small value types of the policy language: action names, scope globs, durations, zones.

Each parser raises ValueError with a message a platform engineer can act on; the loader adds
the file and the field path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError

from bot.catalog import OPERATIONS, Risk
from bot.catalog.base import ContextName, Namespace

TIERS: tuple[str, ...] = tuple(r.value for r in Risk)
ANY = "*"

_GLOB = re.compile(r"^[A-Za-z0-9_.@:/*?-]{1,253}$")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def resolve_action(action: str) -> frozenset[str]:
    """The catalog kinds an action name stands for: a kind, a risk tier or '*'."""
    if action == ANY:
        return frozenset(OPERATIONS)
    if action in TIERS:
        return frozenset(kind for kind, op in OPERATIONS.items() if op.risk == action)
    if action in OPERATIONS:
        return frozenset({action})
    known = [*OPERATIONS, *TIERS]
    raise ValueError(
        f"unknown action {action!r}{did_you_mean(action, known)}; use a catalog kind "
        f"(e.g. scale_deployment), a risk tier ({', '.join(TIERS)}) or '*'"
    )


def check_glob(pattern: str) -> str:
    """Scope patterns: names with '*' (any run of characters) and '?' (one character)."""
    if not _GLOB.fullmatch(pattern):
        raise ValueError(
            f"bad pattern {pattern!r}: use names with '*' and '?' wildcards only "
            "(letters, digits, '-', '_', '.', ':', '/', '@'), e.g. 'team-*'"
        )
    return pattern


_NAMESPACE = TypeAdapter(Namespace)
_CONTEXT_NAME = TypeAdapter(ContextName)

NAMESPACE_RULE = (
    "namespaces are DNS-1123 labels: lowercase letters, digits and '-', starting and ending "
    "with a letter or digit, at most 63 characters"
)
NAME_RULE = "names have 1 to 128 letters, digits or '_', '.', '@', ':', '/', '-'"


def _valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _witness(pattern: str) -> str:
    """The shortest value `pattern` matches, with 'a' for wildcards, and a letter put before
    or after when a leading or trailing '*' lets it avoid an edge '-' or '.'."""
    out = pattern.replace("?", "a").replace("*", "")
    if pattern.startswith(ANY) and not out[:1].isalnum():
        out = "a" + out
    if pattern.endswith(ANY) and not out[-1:].isalnum():
        out += "a"
    return out


def can_match_namespace(pattern: str) -> bool:
    """Is there a valid namespace name (the catalog's `Namespace`) that `pattern` matches?"""
    return _valid(_NAMESPACE, _witness(pattern))


def check_namespace_glob(pattern: str) -> str:
    """A namespace scope pattern that at least one valid namespace can match."""
    check_glob(pattern)
    if not can_match_namespace(pattern):
        fixed = pattern.strip().strip("/").lower().replace("_", "-").replace(".", "-")
        hint = f" (did you mean {fixed!r}?)" if can_match_namespace(fixed) else ""
        raise ValueError(f"{pattern!r} can never match a namespace: {NAMESPACE_RULE}{hint}")
    return pattern


def check_name_glob(what: str) -> Callable[[str], str]:
    """Validator for context or Docker host patterns (names as steps carry them)."""

    def check(pattern: str) -> str:
        check_glob(pattern)
        if not _valid(_CONTEXT_NAME, _witness(pattern)):
            raise ValueError(f"{pattern!r} can never match {what}: {NAME_RULE}")
        return pattern

    return check


def check_context_name(value: str) -> str:
    if not _valid(_CONTEXT_NAME, value):
        raise ValueError(f"{value!r} is not a possible context name: {NAME_RULE}")
    return value


def glob_match(pattern: str, value: str) -> bool:
    return fnmatchcase(value, pattern)


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '1h30m', '90s', '1d' -> timedelta (positive)."""
    match = _DURATION.fullmatch(text.strip()) if text.strip() else None
    if match is None or not any(match.groups()):
        raise ValueError(f"bad duration {text!r}: use e.g. '90s', '30m', '2h', '1h30m' or '1d'")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None
