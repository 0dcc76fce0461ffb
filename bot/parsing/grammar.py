"""Parsing one command step into a catalog operation. Nothing is guessed: every word must be
accounted for, every value given once, and each problem becomes a plain-words `_Problem`."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.catalog import BackendKind, Operation
from bot.parsing.commands import ORDERED_COMMANDS, Command
from bot.parsing.tokens import Token
from bot.parsing.values import (
    ValueProblem,
    description,
    is_int_field,
    looks_like_number,
    parse_bool,
    parse_duration,
    parse_int,
    short_label,
    validation_message,
)
from bot.parsing.vocabulary import (
    FLAGS,
    HELP_FLAGS,
    KEYWORD_FIELDS,
    KEYWORD_QUALIFIERS,
    NOUN_FIRST,
    OTHER_RESOURCE_WORDS,
    REPLICA_WORDS,
    RESOURCE_SINGULAR,
    Flag,
    ValueKind,
    is_type_word,
    resource_of,
)

HELP_WORDS = frozenset({"help", "?"})
# Every word that can start a command; text starting otherwise is plain language.
FIRST_WORDS: frozenset[str] = (
    frozenset(phrase[0] for c in ORDERED_COMMANDS for phrase in c.phrases if phrase)
    | frozenset(NOUN_FIRST)
    | HELP_WORDS
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


@dataclass(frozen=True)
class HelpFor:
    """`COMMAND --help`: help about these commands."""

    commands: tuple[Command, ...]


@dataclass(frozen=True)
class _FlagUse:
    name: str
    flag: Flag
    value: str | None
    value_index: int

    @property
    def source(self) -> str:
        return self.name if self.value is None else f"{self.name} {self.value}"


@dataclass(frozen=True)
class _KeywordUse:
    keyword: str
    field: str
    value: Token
    source: str


@dataclass
class _Words:
    flags: list[_FlagUse] = field(default_factory=list)
    keywords: list[_KeywordUse] = field(default_factory=list)
    positionals: list[Token] = field(default_factory=list)
    unknown_flags: list[str] = field(default_factory=list)
    wants_help: bool = False


def match_verb(tokens: Sequence[Token]) -> VerbMatch | None:
    """The commands whose verb phrase starts `tokens` (longest phrase wins), or None."""
    words = tuple(t.word for t in tokens[:2])
    best: list[Command] = []
    best_len = 0
    for command in ORDERED_COMMANDS:
        for phrase in command.phrases:
            if phrase and words[: len(phrase)] == phrase and len(phrase) >= best_len:
                if len(phrase) > best_len:
                    best, best_len = [], len(phrase)
                if command not in best:
                    best.append(command)
    if best:
        return VerbMatch(tuple(best), best_len, " ".join(w or "" for w in words[:best_len]))
    first = words[0] if words else None
    if first is None:
        return None
    if first in NOUN_FIRST:
        resource = NOUN_FIRST[first]
        nouns = tuple(c for c in ORDERED_COMMANDS if () in c.phrases and c.resource == resource)
        return VerbMatch(nouns, 1, first, resource)
    family = [c for c in ORDERED_COMMANDS if any(len(p) > 1 and p[0] == first for p in c.phrases)]
    if family:
        subcommands = ", ".join(" ".join(p[1:]) for c in family for p in c.phrases if p[0] == first)
        got = (
            f"unknown {first} command {tokens[1].text!r}"
            if len(tokens) > 1
            else (f"missing {first} command")
        )
        raise Problem(f"{got}; {first} commands are: {subcommands}", family)
    return None


def parse_step(tokens: Sequence[Token], match: VerbMatch) -> Operation | HelpFor:
    words = _split_words(tokens, match)
    if words.wants_help:
        return HelpFor(match.candidates)
    _check_unknown_flags(words, match.candidates)
    command, positionals = _resolve(words, match)
    return _build(command, words, positionals)


def _split_words(tokens: Sequence[Token], match: VerbMatch) -> _Words:
    words = _Words()
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
                flag_use = _FlagUse(name, FLAGS[name], attached if eq else None, token.index)
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
                words.flags.append(_FlagUse(name, FLAGS[name], following.text, following.index))
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
            words.keywords.append(_KeywordUse(word, target, value, source))
        else:
            words.positionals.append(token)
        i += 1
    return words


def allowed_flags(command: Command) -> list[str]:
    fields = command.operation.model_fields
    names = [
        name
        for name, flag in FLAGS.items()
        if _flag_field(command, name, flag) in fields
        and (flag.backends is None or command.operation.backend in flag.backends)
    ]
    return names


def _flag_field(command: Command, name: str, flag: Flag) -> str:
    return command.flag_overrides.get(name, flag.field)


def _suggest(name: str, choices: Sequence[str]) -> str | None:
    same_case = [c for c in choices if c.lower() == name.lower()]
    if same_case:
        return same_case[0]
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _check_unknown_flags(words: _Words, candidates: Sequence[Command]) -> None:
    if not words.unknown_flags:
        return
    name = words.unknown_flags[0]
    choices = sorted({f for c in candidates for f in allowed_flags(c)})
    guess = _suggest(name, choices)
    hint = f"did you mean {guess}?" if guess else "see the usage below"
    raise Problem(f"unknown option {name}; {hint}", candidates)


def _words_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _resolve(words: _Words, match: VerbMatch) -> tuple[Command, list[tuple[Token, str]]]:
    """Pick the command from the verb and the object type; returns (command, positionals)
    where each positional is (token, value text) with any TYPE/ prefix removed."""
    candidates = match.candidates
    typed = any(c.resource for c in candidates)
    allowed = [c.resource for c in candidates if c.resource]
    verb = match.verb
    resource = match.noun_resource
    positionals = list(words.positionals)

    def wrong_type(word: str) -> Problem:
        kinds = _words_list([r for r in dict.fromkeys(allowed) if r])
        return Problem(f"{verb} works on {kinds}, not {word!r}", candidates)

    if typed and resource is None and positionals and positionals[0].word is not None:
        first = positionals[0].word
        if "/" not in first and is_type_word(first):
            positionals.pop(0)
            resource = resource_of(first)
            if resource is None or resource not in allowed:
                problem = wrong_type(first)
                if not positionals and len(candidates) == 1 and not candidates[0].type_required:
                    singular = RESOURCE_SINGULAR[allowed[0]]
                    problem = Problem(
                        f"{problem.message}; for a {allowed[0][:-1]} named {first!r} write "
                        f"{singular}/{first}",
                        candidates,
                    )
                raise problem

    values: list[tuple[Token, str]] = []
    for token in positionals:
        text = token.text
        if typed and token.word is not None and "/" in text:
            type_word, _, name = text.partition("/")
            ref_resource = resource_of(type_word.lower())
            if ref_resource is None and type_word.lower() not in OTHER_RESOURCE_WORDS:
                raise Problem(f"unknown resource type {type_word!r} in {text!r}", candidates)
            if ref_resource is None or ref_resource not in allowed:
                raise wrong_type(type_word.lower())
            if resource is not None and ref_resource != resource:
                raise Problem(
                    f"{text!r} does not match the type {resource!r} given before it", candidates
                )
            if not name:
                raise Problem(f"missing name after {text!r}", candidates)
            resource = ref_resource
            text = name
        values.append((token, text))

    if resource is not None:
        return next(c for c in candidates if c.resource == resource), values
    implicit = [c for c in candidates if not c.type_required]
    if len(implicit) == 1:
        return implicit[0], values
    kinds = [r for r in dict.fromkeys(allowed) if r]
    if not values:
        raise Problem(f"missing what to {verb}: {_words_list(kinds)}", candidates)
    name = values[0][1]
    if all(c.positionals for c in candidates):
        spelled = _words_list([f"'{verb} {RESOURCE_SINGULAR[r]} {name}'" for r in kinds])
        raise Problem(f"{verb} needs the object type: write {spelled}", candidates)
    raise Problem(f"{verb} works on {_words_list(kinds)}, not {name!r}", candidates)


def _build(command: Command, words: _Words, positionals: list[tuple[Token, str]]) -> Operation:
    """Assign every word to a catalog field, in the order the words were written."""
    op = command.operation
    fields = op.model_fields
    values: dict[str, tuple[Any, str]] = {}

    def put(name: str, value: Any, source: str) -> None:
        if name in values and values[name][0] != value:
            old, old_source = values[name]
            raise Problem(
                f"{short_label(name)} given twice: {old!r} ({old_source!r}) and {value!r} "
                f"({source!r}); give it once",
                [command],
            )
        values[name] = (value, source)

    def convert(name: str, raw: str | None, kind: ValueKind) -> Any:
        try:
            if kind == ValueKind.BOOL:
                return parse_bool(name, raw)
            text = raw or ""
            if kind == ValueKind.DURATION:
                return parse_duration(op, name, text)
            if kind == ValueKind.REF:
                type_word, slash, rest = text.partition("/")
                if slash and is_type_word(type_word.lower()):
                    text = rest
            if is_int_field(fields[name]):
                return parse_int(op, name, text)
            return text
        except ValueProblem as exc:
            raise Problem(str(exc), [command]) from None

    # (word position, field, raw value, value kind, source as written)
    assignments: list[tuple[int, str, str | None, ValueKind, str]] = []
    allowed = set(allowed_flags(command))
    for use in words.flags:
        name = _flag_field(command, use.name, use.flag)
        if use.name not in allowed:
            guess = _suggest(use.name, sorted(allowed))
            hint = f"; did you mean {guess}?" if guess else ""
            if name == "namespace" and op.backend == BackendKind.DOCKER:
                hint = "; docker commands have no namespace (use --host HOST)"
            raise Problem(f"{use.name} does not apply to {command.name}{hint}", [command])
        assignments.append((use.value_index, name, use.value, use.flag.value, use.source))
    for kw in words.keywords:
        target = command.to_field if kw.field == "@to" else kw.field
        if target is None or target not in fields:
            raise Problem(_keyword_misuse(command, kw), [command])
        kind = ValueKind.REF if target == "object_name" else ValueKind.TEXT
        assignments.append((kw.value.index, target, kw.value.text, kind, kw.source))

    replica_indexes = {index for index, name, *_ in assignments if name == "replicas"}
    roles = list(command.positionals)
    role_index = 0
    for token, text in positionals:
        if (
            "replicas" in fields
            and token.word in REPLICA_WORDS
            and (token.index - 1 in replica_indexes)
        ):
            continue  # "to 5 replicas"
        if role_index >= len(roles):
            raise Problem(_extra_word(command, text, positionals[0][1]), [command])
        role = roles[role_index]
        if text != token.text and role_index > 0:
            raise Problem(_extra_word(command, token.text, positionals[0][1]), [command])
        assignments.append((token.index, role, text, ValueKind.TEXT, token.text))
        if role == "replicas":
            replica_indexes.add(token.index)
        role_index += 1

    for _, name, raw, kind, source in sorted(assignments, key=lambda a: a[0]):
        put(name, convert(name, raw, kind), source)

    if values.get("all_namespaces", (False, ""))[0] is True and "namespace" in values:
        raise Problem("give either -A (all namespaces) or a namespace, not both", [command])

    for name, info in fields.items():
        if info.is_required() and name not in values:
            hint = ""
            if name == command.to_field:
                hint = f" (give {_flag_for(name)} N or 'to N')"
            raise Problem(f"missing {description(op, name)}{hint}", [command])

    try:
        return op.model_validate({name: value for name, (value, _) in values.items()})
    except ValidationError as exc:
        raise Problem(validation_message(op, exc), [command]) from None


def _flag_for(name: str) -> str:
    return next((flag for flag, spec in FLAGS.items() if spec.field == name), name)


def _keyword_misuse(command: Command, kw: _KeywordUse) -> str:
    fields = command.operation.model_fields
    if kw.keyword == "in" and "namespace" not in fields:
        return f"{kw.source!r}: {command.name} has no namespace; use 'on HOST' for a Docker host"
    if kw.keyword == "on" and "host" not in fields:
        return (
            f"{kw.source!r}: 'on' names a Docker host; for a Kubernetes cluster use "
            "--context CONTEXT or 'in cluster CONTEXT'"
        )
    return f"{kw.source!r} does not apply to {command.name}"


def _extra_word(command: Command, text: str, first_value: str) -> str:
    op = command.operation
    if not command.positionals:
        message = f"unexpected {text!r}: {command.name} takes only options"
        if command.resource:
            describe = next(
                (
                    c
                    for c in ORDERED_COMMANDS
                    if c.resource == command.resource and c.phrases[0] == ("describe",)
                ),
                None,
            )
            if describe is not None:
                message += (
                    f"; to see one, use 'describe {RESOURCE_SINGULAR[command.resource]} {text}'"
                )
        return message
    first = command.positionals[0]
    if len(command.positionals) == 1:
        return (
            f"unexpected {text!r}: {command.name} takes one {description(op, first)} "
            f"(got {first_value!r}); chain steps with ';' to act on several"
        )
    takes = ", then ".join(description(op, p) for p in command.positionals)
    return f"unexpected {text!r}: {command.name} takes {takes}"
