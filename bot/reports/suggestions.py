"""The bot commands a health report suggests.

Each is built as a catalog operation and written by `format_command`, so parsing it gives that
operation back: a suggestion is always a command the bot runs as shown. A value read from the
system that the catalog refuses (a kubeconfig context with a space) gives no suggestion rather
than a command that cannot run.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.catalog import Operation
from bot.parsing import format_command


def suggestion(op_type: type[Operation], **fields: Any) -> str | None:
    """The command for `op_type(**fields)`, or None when the fields are not valid for it."""
    try:
        return format_command(op_type(**fields))
    except ValidationError:
        return None


def suggestions(*commands: str | None) -> list[str]:
    """The commands given, best first, without the ones that could not be built."""
    return [c for c in commands if c is not None]
