"""Secret redaction and output truncation for anything read from a cluster or host.

Data from backends is untrusted: it goes through `redact` before it reaches chat, the LLM or
the audit trail, and through `truncate` so one noisy pod cannot flood a thread.

Every scan costs time linear in the input (a security review found the old key=value regex
quadratic): quantifiers are bounded or possessive, each pattern starts with a literal or
anchors on a secret word found by a plain search, and no two adjacent unbounded classes
overlap. Patterns never cross a line break, and a line longer than `MAX_LINE_SCAN` is cut
(the unscanned rest is dropped with a note, never shown raw).
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"
MAX_LINE_SCAN = 256 * 1024
"""Characters of one line that are scanned; the rest of such a line is replaced by a note."""

_MAX_KEY = 256  # longest key name considered in key=value pairs
_MAX_PASSES = 4  # redact repeats until nothing changes (idempotence), at most this often
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

_SECRET_KEY_NAME = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|"
    r"private[_-]?key|signing[_-]?key|encryption[_-]?key|credential)"
)
# Secret words inside a key of a key=value pair, searched in ASCII-lowercased text (a
# case-sensitive literal search is an order of magnitude faster than (?i)).
_KEY_WORD = re.compile(
    r"pass(?:word|wd|phrase)|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"signing[_-]?key|encryption[_-]?key|credential|auth|cookie"
)
_KEY_CHARS_BACK = re.compile(rf"[\w.-]{{0,{_MAX_KEY}}}")
# key=value / key: value / "key": "value" / Authorization: Basic xyz, matched at a key start
_KEY_VALUE = re.compile(
    rf"(?i)([\w.-]{{1,{2 * _MAX_KEY}}}+)"
    r"((?:\\?[\"'])?[ \t]{0,8}+[=:][ \t]{0,8}+"
    r"(?:(?:basic|bearer|digest|negotiate|ntlm|token)[ \t]{1,8}+(?=[^\s,;]))?)"
    r"(\\?\"[^\"\n]{0,2048}+\"|'[^'\n]{0,2048}+'|[^\s,;]++)"
)
# (prefix kept, secret hidden) pairs in free text. Each starts with a literal (fast search);
# the word-boundary check is a fixed-width lookbehind right after it.
_TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"([Bb][Ee][Aa][Rr][Ee][Rr](?<!\w.{6})[ \t]{1,16}+)([A-Za-z0-9._~+/=-]{8,})"),
    re.compile(r"(xox[abposr]-)(?<!\wxox[abposr]-)([A-Za-z0-9-]{10,})"),  # Slack tokens
    re.compile(r"(xapp-)(?<!\wxapp-)([A-Za-z0-9-]{10,})"),
    re.compile(r"(sk-)(?<!\wsk-)([A-Za-z0-9_-]{16,})"),  # OpenAI-style keys
    re.compile(r"(AKIA)(?<!\wAKIA)([0-9A-Z]{16})"),  # AWS access key ids
    re.compile(r"(gh[pousr]_)(?<!\wgh[pousr]_)([A-Za-z0-9]{20,})"),  # GitHub tokens
    re.compile(r"(github_pat_)(?<!\wgithub_pat_)([A-Za-z0-9_]{20,})"),
    # JWTs: only where a run starts, each segment taken whole, so a failed try is cheap
    re.compile(
        r"(eyJ)(?<![A-Za-z0-9_-]eyJ)([A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{5,})"
    ),
    # passwords in URLs, also with an empty user name (redis://:pw@host)
    re.compile(r"(://[^/\s:@]{0,256}+:)([^@\s/]{1,1024}+)(?=@)"),
)
_PEM_MARK = re.compile(r"-----(BEGIN|END) (?:[A-Z0-9]{1,24} ){0,4}PRIVATE KEY(?: BLOCK)?-----")


def redact(text: str) -> str:
    """Replace secret-looking values in free text with [REDACTED] (idempotent)."""
    text = _cap_lines(text)
    for _ in range(_MAX_PASSES):
        done = _redact_once(text)
        if done == text:
            break
        text = done
    return text


def _redact_once(text: str) -> str:
    text = _redact_private_keys(text)
    text = _redact_key_values(text)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def _redact_key_values(text: str) -> str:
    """Hide values of keys that name a secret: find the secret word, then its whole key.

    A key is the full run of key characters around the word (at most _MAX_KEY long), so
    each run is examined once however many secret words it holds.
    """
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters grow when lowered; keep offsets
        low = text.translate(_ASCII_LOWER)
    out: list[str] = []
    pos = 0
    for word in _KEY_WORD.finditer(low):
        if word.start() < pos:
            continue
        lo = max(pos, word.start() - _MAX_KEY)
        back = _KEY_CHARS_BACK.match(text[lo : word.start()][::-1])
        start = word.start() - (back.end() if back else 0)
        match = _KEY_VALUE.match(text, start)
        if match is None:
            continue
        out.append(text[pos:start])
        out.append(_hide_value(match))
        pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _hide_value(match: re.Match[str]) -> str:
    key, sep, value = match.group(1, 2, 3)
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            if len(value) == 2 * len(quote):
                return match.group(0)  # an empty value hides nothing
            return f"{key}{sep}{quote}{REDACTED}{quote}"
    return f"{key}{sep}{REDACTED}"


def _redact_private_keys(text: str) -> str:
    """Hide PEM private keys, also when `tailLines` cut the BEGIN line or the END line away.

    A lone END hides everything before it (back to the previous key); a BEGIN without END
    hides everything after it.
    """
    if "PRIVATE KEY" not in text:
        return text
    out: list[str] = []
    pos = 0
    begin: int | None = None
    for mark in _PEM_MARK.finditer(text):
        if mark.group(1) == "BEGIN":
            if begin is None:
                out.append(text[pos : mark.start()])
                begin = mark.start()
            continue
        if begin is None:  # END whose BEGIN was cut off
            out.append(REDACTED)
        else:
            out.append(REDACTED)
            begin = None
        pos = mark.end()
    if begin is not None:
        out.append(REDACTED)
    else:
        out.append(text[pos:])
    return "".join(out)


def _cap_lines(text: str) -> str:
    """Cut any line longer than MAX_LINE_SCAN so no scan ever sees one unbounded line."""
    if len(text) <= MAX_LINE_SCAN:
        return text
    keep = MAX_LINE_SCAN - 64  # room for the note, so a cut line is never cut again
    lines = text.split("\n")
    for i, line in enumerate(lines):
        # [REDACTED] counts as one character: redacting never lengthens a line in this
        # measure, so the output of redact is never cut again (idempotence)
        if len(line) > MAX_LINE_SCAN and _scan_length(line) > MAX_LINE_SCAN:
            lines[i] = f"{line[:keep]} [line cut: {len(line) - keep} characters not shown]"
    return "\n".join(lines)


def _scan_length(line: str) -> int:
    return len(line) - (len(REDACTED) - 1) * line.count(REDACTED)


def redact_env(env: list[str] | dict[str, str] | None) -> dict[str, str]:
    """Container environment: names are kept, every value is hidden (values are often secrets)."""
    if env is None:
        return {}
    pairs = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
    return {name: REDACTED for name, _ in pairs}


def redact_data(value: Any) -> Any:
    """Redact strings anywhere in a JSON-like structure.

    Every non-empty string under a secret-named key (at any depth below it) is hidden whole;
    numbers, booleans and the dict/list structure are kept, so usage counters such as
    `prompt_tokens: 123` survive.
    """
    return _redact_data(value, secret=False)


def _redact_data(value: Any, *, secret: bool) -> Any:
    if isinstance(value, str):
        return REDACTED if secret and value else redact(value)
    if isinstance(value, dict):
        return {
            k: _redact_data(
                v, secret=secret or (isinstance(k, str) and bool(_SECRET_KEY_NAME.search(k)))
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_data(v, secret=secret) for v in value]
    return value


def truncate(text: str, *, max_chars: int, keep: str = "tail") -> tuple[str, bool]:
    """Cut long output to `max_chars`, keeping the tail (logs) or head, with a visible marker."""
    if len(text) <= max_chars:
        return text, False
    marker = f"… [truncated: {len(text) - max_chars} of {len(text)} characters not shown]"
    if keep == "tail":
        return marker + "\n" + text[-max_chars:], True
    return text[:max_chars] + "\n" + marker, True
