"""Alertmanager's label matchers: `name="value"`, `name!="value"`, `name=~"regex"`,
`name!~"regex"` (quotes optional). Regexes are anchored like Alertmanager's: `^(?:re)$`.
A label that is absent matches as the empty string, as in Alertmanager."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_MATCHER = re.compile(
    r'^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>"(?:[^"\\]|\\.)*"|[^"\s]*)\s*$'
)
MAX_MATCHER_CHARS = 1024


class MatchType(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True)
class Matcher:
    name: str
    type: MatchType
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        match self.type:
            case MatchType.EQUAL:
                return actual == self.value
            case MatchType.NOT_EQUAL:
                return actual != self.value
            case MatchType.REGEX:
                assert self.regex is not None
                return self.regex.fullmatch(actual) is not None
            case MatchType.NOT_REGEX:
                assert self.regex is not None
                return self.regex.fullmatch(actual) is None

    def __str__(self) -> str:
        return f"{self.name}{self.type.value}{_quote(self.value)}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return raw


def parse_matcher(text: str) -> Matcher:
    """One matcher; ValueError with an actionable message when it is not one."""
    if len(text) > MAX_MATCHER_CHARS:
        raise ValueError(f"matcher longer than {MAX_MATCHER_CHARS} characters")
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(
            f'not a matcher: {text!r}; write name="value", name!="value", '
            'name=~"regex" or name!~"regex"'
        )
    kind = MatchType(found["op"])
    value = _unquote(found["value"])
    regex = None
    if kind in (MatchType.REGEX, MatchType.NOT_REGEX):
        try:
            regex = re.compile(f"(?:{value})", re.DOTALL)
        except re.error as exc:
            raise ValueError(f"bad regular expression in {text!r}: {exc}") from exc
    return Matcher(name=found["name"], type=kind, value=value, regex=regex)


def all_match(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
