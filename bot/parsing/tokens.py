"""Turning chat text into tokens: strip the bot mention, `/ops` and code backticks, split
words (quotes keep a value literal), and split a chain of steps on `;` and `then`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MENTION = re.compile(r"^<@[A-Za-z0-9]+(?:\|[^>]*)?>[:,]?")
_SLASH_OPS = re.compile(r"^/ops(?=\s|$)", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u201d": "\u201d"}
_STEP_WORDS = frozenset({"then", "&&"})


@dataclass(frozen=True)
class Token:
    """One word of a command. A quoted token is always a literal value, never a keyword."""

    text: str
    quoted: bool = False
    index: int = 0

    @property
    def word(self) -> str | None:
        """The lower-cased text when the token may be a keyword (unquoted), else None."""
        return None if self.quoted else self.text.lower()


@dataclass(frozen=True)
class Separator:
    """A step separator (`;`) found by the tokenizer."""


class LexError(ValueError):
    """Text that cannot be split into words (an unterminated quote)."""


def strip_prefixes(text: str) -> tuple[str, bool]:
    """Remove surrounding whitespace/backticks, a leading bot mention and a leading `/ops`.

    Returns the remaining text and whether a mention or `/ops` prefix was removed.
    """
    body = text.strip().strip("`").strip()
    prefixed = False
    while True:
        match = _MENTION.match(body) or _SLASH_OPS.match(body)
        if match is None:
            # "how is prod?": a question mark or bang ends a sentence, never a name
            return (body.rstrip("?!").rstrip() or body), prefixed
        prefixed = True
        body = body[match.end() :].strip().strip("`").strip()


def tokenize(text: str) -> list[Token | Separator]:
    """Split into words; a quote opens at the start of a word or right after `=`.

    Raises LexError for an unterminated quote.
    """
    out: list[Token | Separator] = []
    buf: list[str] = []
    quoted = False
    in_word = False
    i = 0

    def flush() -> None:
        nonlocal buf, quoted, in_word
        if in_word:
            out.append(Token(text="".join(buf), quoted=quoted, index=len(out)))
        buf, quoted, in_word = [], False, False

    while i < len(text):
        ch = text[i]
        if ch.isspace():
            flush()
        elif ch == ";":
            flush()
            out.append(Separator())
        elif ch in _QUOTES and (not in_word or (buf and buf[-1] == "=")):
            close = _QUOTES[ch]
            end = text.find(close, i + 1)
            if ch == "\u201c" and end < 0:
                end = text.find('"', i + 1)
            if end < 0:
                raise LexError(f"unterminated quote: close the {ch} you opened")
            buf.append(text[i + 1 : end])
            quoted = in_word = True
            i = end
        else:
            buf.append(ch)
            in_word = True
        i += 1
    flush()
    return out


def split_steps(items: list[Token | Separator]) -> list[list[Token]]:
    """Split on `;`, `&&`, `then`, `and then` and `, then`; empty steps are dropped."""
    steps: list[list[Token]] = [[]]
    for item in items:
        if isinstance(item, Separator) or item.word in _STEP_WORDS:
            current = steps[-1]
            if isinstance(item, Token) and current and current[-1].word == "and":
                current.pop()
            if current and current[-1].word is not None and current[-1].text.endswith(","):
                last = current[-1]
                current[-1] = Token(text=last.text[:-1], quoted=False, index=last.index)
                if not current[-1].text:
                    current.pop()
            steps.append([])
        else:
            steps[-1].append(item)
    return [step for step in steps if step]


def step_text(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)
