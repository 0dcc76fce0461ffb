"""Small value types of the policy language: action names, scope globs, durations, zones.

Each parser raises ValueError with a message a platform engineer can act on; the loader adds
the file and the field path.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog import OPERATIONS, Risk

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
