"""The explicit command parser (no LLM): deterministic, derived from the operation catalog.

`parse_command(text)` returns Parsed(plan) | NotACommand() | ParseError(...) | HelpRequested(...).
"""

from bot.parsing.command_table import COMMANDS, Command
from bot.parsing.help import help_for, help_text, usage_for
from bot.parsing.parser import MAX_STEPS, parse_command
from bot.parsing.render import format_command
from bot.parsing.results import HelpRequested, NotACommand, Parsed, ParseError, ParseResult

__all__ = [
    "COMMANDS",
    "MAX_STEPS",
    "Command",
    "HelpRequested",
    "NotACommand",
    "ParseError",
    "ParseResult",
    "Parsed",
    "format_command",
    "help_for",
    "help_text",
    "parse_command",
    "usage_for",
]
