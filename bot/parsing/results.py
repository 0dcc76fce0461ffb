"""What the explicit-command parser returns: exactly one of four results, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

from bot.plan import Plan


@dataclass(frozen=True)
class Parsed:
    """The text was a well-formed command (or chain of commands): a Plan with source="command"."""

    plan: Plan


@dataclass(frozen=True)
class NotACommand:
    """The text does not start like any command: plain language (for the LLM planner, if any)."""


@dataclass(frozen=True)
class ParseError:
    """It starts like a command but is malformed or ambiguous; nothing is guessed.

    `message` says what was wrong, `usage` shows the closest command's usage line(s) and
    `command` is that command's catalog kind when one command could be identified.
    """

    message: str
    usage: str
    command: str | None = None


@dataclass(frozen=True)
class HelpRequested:
    """`help`, `help TOPIC`, `?` or `COMMAND --help`: the help text to show."""

    text: str


type ParseResult = Parsed | NotACommand | ParseError | HelpRequested
