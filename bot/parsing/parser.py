"""`parse_command`: chat text -> Plan, plain language, a precise error, or help. Never raises."""

from __future__ import annotations

import re

from bot.catalog import Operation
from bot.parsing.command_table import ORDERED_COMMANDS, Command
from bot.parsing.grammar import FIRST_WORDS, HELP_WORDS, HelpFor, Problem, match_verb, parse_step
from bot.parsing.help import commands_help, help_for, help_text
from bot.parsing.results import HelpRequested, NotACommand, Parsed, ParseError, ParseResult
from bot.parsing.tokens import LexError, Token, split_steps, step_text, strip_prefixes, tokenize
from bot.plan import Plan

MAX_STEPS = 10
_FIRST_WORD = re.compile(r"[\s;]*([^\s;]{1,32})(?:[\s;]|$)")


def parse_command(text: str) -> ParseResult:
    """Parse an explicit command (or a chain of them) without any LLM.

    A leading bot mention (`<@U123>`), a leading `/ops` and surrounding backticks are
    ignored. A mention or `/ops` alone asks for help.
    """
    body, prefixed = strip_prefixes(text)
    if not body:
        return HelpRequested(help_text()) if prefixed else NotACommand()
    first = _FIRST_WORD.match(body)
    if first is None or first.group(1).lower() not in FIRST_WORDS:
        return NotACommand()  # cheap exit for plain language, however long
    try:
        items = tokenize(body)
    except LexError as exc:
        return _lex_error(body, str(exc))
    steps = split_steps(items)
    if not steps:
        return NotACommand()

    first_word = steps[0][0].word
    if first_word in HELP_WORDS:
        if len(steps) > 1:
            return ParseError(
                message="help cannot be chained with other steps", usage="help [COMMAND]"
            )
        topic = help_for([t.text for t in steps[0][1:]])
        return NotACommand() if topic is None else HelpRequested(topic)

    operations: list[Operation] = []
    for number, tokens in enumerate(steps, start=1):
        where = f"step {number}: " if len(steps) > 1 else ""
        try:
            match = match_verb(tokens)
            if match is None:
                if number == 1:
                    return NotACommand()
                return ParseError(
                    message=f"{where}{step_text(tokens)!r} is not a command",
                    usage="\n".join(c.usage[0] for c in ORDERED_COMMANDS),
                )
            if len(steps) > MAX_STEPS:
                return ParseError(
                    message=f"at most {MAX_STEPS} steps per request, got {len(steps)}",
                    usage="COMMAND; COMMAND; ...  (or COMMAND then COMMAND)",
                )
            result = parse_step(tokens, match)
        except Problem as problem:
            return _error(where + problem.message, problem.commands)
        if isinstance(result, HelpFor):
            return HelpRequested(commands_help(result.commands))
        operations.append(result)
    return Parsed(Plan(steps=operations, source="command"))


def _lex_error(body: str, message: str) -> ParseResult:
    """An unterminated quote: an error if the text starts like a command, else plain language."""
    words = [Token(text=word, index=i) for i, word in enumerate(body.split()[:2])]
    if words[0].text.lower() not in FIRST_WORDS:
        return NotACommand()
    try:
        match = match_verb(words)
    except Problem as problem:
        return _error(message, problem.commands)
    return _error(message, match.candidates if match else ())


def _error(message: str, commands: tuple[Command, ...]) -> ParseError:
    usage = "\n".join(line for command in commands for line in command.usage)
    kind = commands[0].kind if len(commands) == 1 else None
    return ParseError(message=message, usage=usage, command=kind)
