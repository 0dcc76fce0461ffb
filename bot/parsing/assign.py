"""Assigning the words of a step to catalog fields, in the order they were written, and
validating the result with the catalog model. Problems are reported in plain words."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from bot.catalog import BackendKind, Operation
from bot.parsing.command_table import ORDERED_COMMANDS, Command
from bot.parsing.tokens import Token
from bot.parsing.values import (
    ValueProblem,
    description,
    is_int_field,
    parse_bool,
    parse_duration,
    parse_int,
    short_label,
    validation_message,
)
from bot.parsing.vocabulary import (
    FLAGS,
    REPLICA_WORDS,
    RESOURCE_SINGULAR,
    Flag,
    ValueKind,
    is_type_word,
)
from bot.parsing.words import KeywordUse, Problem, Words


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


def suggest(name: str, choices: Sequence[str]) -> str | None:
    same_case = [c for c in choices if c.lower() == name.lower()]
    if same_case:
        return same_case[0]
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def build(command: Command, words: Words, positionals: list[tuple[Token, str]]) -> Operation:
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
            guess = suggest(use.name, sorted(allowed))
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
        if token.word in command.filler_words:
            continue  # "trigger cronjob/x now"
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


def _keyword_misuse(command: Command, kw: KeywordUse) -> str:
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
        noun = description(op, first) if first in ("name", "container") else short_label(first)
        return (
            f"unexpected {text!r}: {command.name} takes one {noun} "
            f"(got {first_value!r}); chain steps with ';' to act on several"
        )
    takes = ", then ".join(description(op, p) for p in command.positionals)
    return f"unexpected {text!r}: {command.name} takes {takes}"
