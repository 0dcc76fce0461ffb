"""Parsing one command step: find the command from its verb and object type, then assign
its words to catalog fields. Nothing is guessed; each problem becomes a plain-words Problem."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog import Operation
from bot.parsing.assign import allowed_flags, build, suggest
from bot.parsing.command_table import ORDERED_COMMANDS, Command
from bot.parsing.tokens import Token
from bot.parsing.vocabulary import (
    ARTICLES,
    NOUN_FIRST,
    OTHER_RESOURCE_WORDS,
    RESOURCE_SINGULAR,
    ROLLOUT_QUESTION_WORDS,
    is_type_word,
    resource_of,
)
from bot.parsing.words import HelpFor, Problem, VerbMatch, Words, split_words

__all__ = ["FIRST_WORDS", "HELP_WORDS", "HelpFor", "Problem", "match_verb", "parse_step"]

HELP_WORDS = frozenset({"help", "?"})
# Every word that can start a command; text starting otherwise is plain language.
FIRST_WORDS: frozenset[str] = (
    frozenset(phrase[0] for c in ORDERED_COMMANDS for phrase in c.phrases if phrase)
    | frozenset(NOUN_FIRST)
    | HELP_WORDS
)


def match_verb(tokens: Sequence[Token]) -> VerbMatch | None:
    """The commands whose verb phrase starts `tokens` (longest phrase wins), or None."""
    words = tuple(t.word for t in tokens[:2])
    question = _rollout_question(tokens)
    if question is not None:
        return question
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
        subcommands = ", ".join(
            dict.fromkeys(" ".join(p[1:]) for c in family for p in c.phrases if p[0] == first)
        )
        got = (
            f"unknown {first} command {tokens[1].text!r}"
            if len(tokens) > 1
            else (f"missing {first} command")
        )
        raise Problem(f"{got}; {first} commands are: {subcommands}", family)
    return None


def _rollout_question(tokens: Sequence[Token]) -> VerbMatch | None:
    """ "how is the web rollout going (in prod)": `rollout status` of what it names."""
    lead = 1 if tokens and tokens[0].word == "how's" else 2
    words = [t.word for t in tokens]
    if words[:lead] not in (["how", "is"], ["how's"]) or "rollout" not in words[lead:]:
        return None
    status = tuple(c for c in ORDERED_COMMANDS if ("rollout", "status") in c.phrases)
    return VerbMatch(status, lead, "rollout status", fillers=ROLLOUT_QUESTION_WORDS)


def parse_step(tokens: Sequence[Token], match: VerbMatch) -> Operation | HelpFor:
    words = split_words(tokens, match)
    if words.wants_help:
        return HelpFor(match.candidates)
    try:
        command, positionals = _resolve(words, match)
    except Problem:
        _check_unknown_flags(words, match.candidates)
        raise
    _check_unknown_flags(words, (command,))  # the object type named picks the command
    return build(command, words, positionals)


def _check_unknown_flags(words: Words, candidates: Sequence[Command]) -> None:
    if not words.unknown_flags:
        return
    name = words.unknown_flags[0]
    choices = sorted({f for c in candidates for f in allowed_flags(c)})
    guess = suggest(name, choices)
    hint = f"did you mean {guess}?" if guess else "see the usage below"
    raise Problem(f"unknown option {name}; {hint}", candidates)


def _words_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _generic_values(
    positionals: list[Token], allowed: Sequence[str | None]
) -> list[tuple[Token, str]] | None:
    """`KIND [NAME]` or `KIND/NAME` for a type no other candidate takes (None: one does)."""
    first = positionals[0]
    type_word, slash, name = first.text.partition("/")
    known = resource_of(type_word.lower())
    if known is not None and known in allowed:
        return None
    if not slash:
        return [(t, t.text) for t in positionals]
    if not name:
        return [(first, type_word)]
    named = Token(text=name, quoted=first.quoted, index=first.index)
    return [(first, type_word), (named, name), *[(t, t.text) for t in positionals[1:]]]


def _resolve(words: Words, match: VerbMatch) -> tuple[Command, list[tuple[Token, str]]]:
    """Pick the command from the verb and the object type; returns (command, positionals)
    where each positional is (token, value text) with any TYPE/ prefix removed."""
    candidates = match.candidates
    typed = any(c.resource for c in candidates)
    allowed = [c.resource for c in candidates if c.resource]
    verb = match.verb
    resource = match.noun_resource
    dropped = ARTICLES | match.fillers
    positionals = [t for t in words.positionals if t.word not in dropped]
    if (  # "restart the redis statefulset": the type after the name
        typed
        and len(positionals) >= 2
        and positionals[0].word is not None
        and not is_type_word(positionals[0].word)
        and positionals[1].word is not None
        and resource_of(positionals[1].word) is not None
    ):
        positionals[0], positionals[1] = positionals[1], positionals[0]

    def wrong_type(word: str) -> Problem:
        kinds = _words_list([r for r in dict.fromkeys(allowed) if r])
        return Problem(f"{verb} works on {kinds}, not {word!r}", candidates)

    generic = next((c for c in candidates if c.generic), None)
    if generic is not None and positionals and positionals[0].word is not None:
        routed = _generic_values(positionals, allowed)
        if routed is not None:
            return generic, routed
    if typed and resource is None and positionals and positionals[0].word is not None:
        first = positionals[0].word
        if "/" not in first and is_type_word(first):
            positionals.pop(0)
            resource = resource_of(first)
            if resource is None or resource not in allowed:
                problem = wrong_type(first)
                implicit = [c for c in candidates if not c.type_required]
                if not positionals and len(implicit) == 1 and implicit[0].resource:
                    kind = implicit[0].resource
                    problem = Problem(
                        f"{problem.message}; for a {kind[:-1]} named {first!r} write "
                        f"{RESOURCE_SINGULAR[kind]}/{first}",
                        implicit,
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
