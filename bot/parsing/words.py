"""The words of one command step, sorted into options, English connectives and bare words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.parsing.command_table import Command
from bot.parsing.tokens import Token
from bot.parsing.values import looks_like_number
from bot.parsing.vocabulary import (
    FLAGS,
    HELP_FLAGS,
    KEYWORD_FIELDS,
    KEYWORD_QUALIFIERS,
    Flag,
    ValueKind,
)


class Problem(Exception):
    """A malformed or ambiguous command; `commands` are the closest ones, for their usage."""

    def __init__(self, message: str, commands: Sequence[Command]) -> None:
        super().__init__(message)
        self.message = message
        self.commands = tuple(commands)


@dataclass(frozen=True)
class VerbMatch:
    candidates: tuple[Command, ...]
    consumed: int
    verb: str
    noun_resource: str | None = None
    fillers: frozenset[str] = frozenset()  # words dropped from the positionals (a question's)


@dataclass(frozen=True)
class HelpFor:
    """`COMMAND --help`: help about these commands."""

    commands: tuple[Command, ...]


@dataclass(frozen=True)
class FlagUse:
    name: str
    flag: Flag
    value: str | None
    value_index: int

    @property
    def source(self) -> str:
        return self.name if self.value is None else f"{self.name} {self.value}"


@dataclass(frozen=True)
class KeywordUse:
    keyword: str
    field: str
    value: Token
    source: str


@dataclass
class Words:
    flags: list[FlagUse] = field(default_factory=list)
    keywords: list[KeywordUse] = field(default_factory=list)
    positionals: list[Token] = field(default_factory=list)
    unknown_flags: list[str] = field(default_factory=list)
    wants_help: bool = False


def split_words(tokens: Sequence[Token], match: VerbMatch) -> Words:
    words = Words()
    i = match.consumed
    while i < len(tokens):
        token = tokens[i]
        word = token.word
        if (
            word is not None
            and token.text.startswith("-")
            and len(token.text) > 1
            and not (looks_like_number(token.text))
        ):
            name, eq, attached = token.text.partition("=")
            if name in HELP_FLAGS:
                words.wants_help = True
            elif name not in FLAGS:
                words.unknown_flags.append(name)
            elif FLAGS[name].value == ValueKind.BOOL or eq:
                flag_use = FlagUse(name, FLAGS[name], attached if eq else None, token.index)
                words.flags.append(flag_use)
            else:
                following = tokens[i + 1] if i + 1 < len(tokens) else None
                if following is None or (
                    following.word is not None
                    and following.text.startswith("-")
                    and not looks_like_number(following.text)
                ):
                    placeholder = FLAGS[name].placeholder
                    raise Problem(f"{name} needs a value ({placeholder})", match.candidates)
                words.flags.append(FlagUse(name, FLAGS[name], following.text, following.index))
                i += 1
        elif word in KEYWORD_FIELDS:
            qualifiers = KEYWORD_QUALIFIERS[word]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None:
                raise Problem(f"{word!r} needs a value after it", match.candidates)
            target = KEYWORD_FIELDS[word]
            if nxt.word in qualifiers and i + 2 < len(tokens):
                target = qualifiers[nxt.word]
                value = tokens[i + 2]
                source = f"{word} {nxt.text} {value.text}"
                i += 2
            else:
                value, source = nxt, f"{word} {nxt.text}"
                i += 1
            words.keywords.append(KeywordUse(word, target, value, source))
        else:
            words.positionals.append(token)
        i += 1
    return words
