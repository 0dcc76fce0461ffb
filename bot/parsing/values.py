"""Converting command words into catalog field values, with plain-words error messages.

Bounds and descriptions come from the catalog's field declarations, so messages stay true
when the catalog changes.
"""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin

import annotated_types
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from bot.catalog import Operation

_INT = re.compile(r"^[+-]?\d+$")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_DURATION = re.compile(r"^(?:\d+[smhd])+$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_SHORT_LABELS = {
    "tail_lines": "tail",
    "to_revision": "revision",
    "grace_period_seconds": "grace period",
    "timeout_seconds": "timeout",
    "since_seconds": "since",
    "all_namespaces": "all namespaces",
    "label_selector": "label selector",
    "object_name": "object name",
}


class ValueProblem(ValueError):
    """A word that cannot become the field's value; the message is shown to the user."""


def looks_like_number(text: str) -> bool:
    return bool(_INT.fullmatch(text))


def short_label(field: str) -> str:
    return _SHORT_LABELS.get(field, field.replace("_", " "))


def description(op: type[Operation], field: str) -> str:
    info = op.model_fields.get(field)
    return (info.description if info and info.description else None) or short_label(field)


def is_int_field(info: FieldInfo) -> bool:
    annotation = info.annotation
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return int in get_args(annotation)
    return False


def bounds(info: FieldInfo) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            low = int(meta.ge)  # type: ignore[call-overload]
        elif isinstance(meta, annotated_types.Le):
            high = int(meta.le)  # type: ignore[call-overload]
    return low, high


def _range_words(field: str, low: int | None, high: int | None) -> str:
    unit = "whole number of seconds" if field.endswith("_seconds") else "whole number"
    if low is not None and high is not None:
        return f"a {unit} from {low} to {high}"
    if low is not None:
        return f"a {unit} of at least {low}"
    if high is not None:
        return f"a {unit} of at most {high}"
    return f"a {unit}"


def parse_int(op: type[Operation], field: str, raw: str) -> int:
    info = op.model_fields[field]
    low, high = bounds(info)
    problem = f"{short_label(field)} must be {_range_words(field, low, high)}, got {raw!r}"
    if not _INT.fullmatch(raw):
        raise ValueProblem(problem)
    value = int(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueProblem(problem)
    return value


def format_duration(seconds: int) -> str:
    for unit, size in _UNIT_SECONDS.items():
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # unreachable: size 1 always divides


def parse_duration(op: type[Operation], field: str, raw: str) -> int:
    low, high = bounds(op.model_fields[field])
    limits = f" (at most {format_duration(high)})" if high else ""
    text = raw.lower()
    if not _DURATION.fullmatch(text):
        raise ValueProblem(
            f"{short_label(field)} must be a duration like 30s, 10m, 2h or 1d{limits}, got {raw!r}"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    if (low is not None and seconds < low) or (high is not None and seconds > high):
        lowest = format_duration(low) if low else "0s"
        raise ValueProblem(
            f"{short_label(field)} must be between {lowest} and "
            f"{format_duration(high) if high else 'any length'}, got {raw!r}"
        )
    return seconds


def parse_bool(field: str, raw: str | None) -> bool:
    if raw is None:
        return True
    lowered = raw.lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise ValueProblem(
        f"{short_label(field)} is a switch: give it alone or =true/false, got {raw!r}"
    )


def validation_message(op: type[Operation], error: ValidationError) -> str:
    """The first validation error in plain words: the field's description and what is wrong."""
    problems = []
    for item in error.errors(include_url=False):
        loc = item.get("loc", ())
        field = str(loc[0]) if loc else ""
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        where = description(op, field) if field else "command"
        value: Any = item.get("input")
        shown = ""
        if isinstance(value, str | int) and repr(value) not in message:
            shown = f" (got {value!r})"
        problems.append(f"{where}: {message}{shown}")
    return "; ".join(problems) or "invalid command"
