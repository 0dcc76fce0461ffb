"""The canonical command for an operation: what a user could type to get exactly this step.

Used in plan previews and undo hints; `parse_command(format_command(op))` gives `op` back.
"""

from __future__ import annotations

from bot.catalog import Operation
from bot.parsing.command_table import COMMANDS
from bot.parsing.values import format_duration
from bot.parsing.vocabulary import FLAGS, RESERVED_WORDS, RESOURCE_SINGULAR, ValueKind

_PLAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@/=,")


def quote(value: str) -> str:
    """Quote a value when it would otherwise read as a keyword, option or separator."""
    plain = (
        value
        and set(value) <= _PLAIN_CHARS
        and not value.startswith("-")
        and value.lower() not in RESERVED_WORDS
    )
    return value if plain else f'"{value}"'


def format_command(op: Operation) -> str:
    command = COMMANDS[op.kind]
    parts = list(next(p for p in command.phrases if p))
    data = op.model_dump(exclude={"operation"}, exclude_defaults=True)
    positional = command.positionals[0] if command.positionals else None
    if command.resource and command.type_required and positional not in data:
        parts.append(command.resource)
    if positional in data and positional != "namespace":
        value = str(data.pop(positional))
        if command.resource:
            parts.append(f"{RESOURCE_SINGULAR[command.resource]}/{value}")
        else:
            parts.append(quote(value))
        if command.generic and "name" in data:
            parts.append(quote(str(data.pop("name"))))
    for field, value in data.items():
        flag = _canonical_flag(command.kind, field)
        spec = FLAGS[flag]
        if spec.value == ValueKind.BOOL:
            if value is True:
                parts.append(flag)
            continue
        shown = format_duration(value) if spec.value == ValueKind.DURATION else str(value)
        parts.extend([flag, quote(shown)])
    return " ".join(parts)


def _canonical_flag(kind: str, field: str) -> str:
    overrides = COMMANDS[kind].flag_overrides
    for name, spec in FLAGS.items():
        if overrides.get(name, spec.field) == field and name not in overrides:
            return name
    raise KeyError(f"no option sets {field!r} of {kind}")
