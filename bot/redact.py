"""Secret redaction and output truncation for anything read from a cluster or host.

Data from backends is untrusted: it goes through `redact` before it reaches chat, the LLM or
the audit trail, and through `truncate` so one noisy pod cannot flood a thread. What counts
as a secret is in `bot.redact_rules`; detection is measured on the corpus in
tests/security/secrets_corpus.py (`uv run python bench/bench_redact.py` prints the numbers).

Every scan costs time linear in the input (a security review found the old key=value regex
quadratic): quantifiers are bounded or possessive, each pattern starts with a literal or
anchors on a secret word found by a plain search, and no two adjacent unbounded classes
overlap. A secret key whose value is on the following lines (`password:` then the value,
YAML block scalars, multi-line JSON and XML) hides those lines; each line is looked at once.
A line longer than `MAX_LINE_SCAN` is cut (the unscanned rest is dropped with a note).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Any

from bot import redact_rules as rules
from bot.redact_rules import is_secret_key

REDACTED = "[REDACTED]"
MAX_LINE_SCAN = 256 * 1024
"""Characters of one line that are scanned; the rest of such a line is replaced by a note."""

_MAX_PASSES = 4  # redact repeats until nothing changes (idempotence), at most this often
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


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
    text = _redact_secret_manifests(text)
    text = _redact_plain(text)
    text = _redact_encoded_lines(text)
    if len(text) >= 16:
        text = rules.BASE64_RUN.sub(_hide_encoded_secret, text)
    return text


def _redact_plain(text: str) -> str:
    text = _redact_key_blocks(text)
    text = rules.PGPASS_LINE.sub(lambda m: m.group(1) + REDACTED, text) if ":" in text else text
    text = _redact_mysql_passwords(text)  # first: "-pS3cret-Key" is no flag named "key"
    text = _redact_key_values(text)
    text = _redact_named_values(text)
    text = _redact_spaced_passwords(text)
    for pattern in rules.TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return rules.BARE_AWS_SECRET.sub(_hide_bare_aws_secret, text)


def _hide_encoded_secret(match: re.Match[str]) -> str:
    """A base64 run whose decoded text holds a secret is hidden whole (one level deep)."""
    run = match.group(0)
    try:
        raw = base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
    except (binascii.Error, ValueError):
        return run
    if not raw.isascii():
        return run
    decoded = raw.decode("ascii")
    if not decoded.isprintable() and not decoded.replace("\n", "").strip().isprintable():
        return run
    return REDACTED if _redact_plain(decoded) != decoded else run


def _hide_bare_aws_secret(match: re.Match[str]) -> str:
    run = match.group(0)
    mixed = (
        any(c.isupper() for c in run)
        and any(c.islower() for c in run)
        and any(c.isdigit() for c in run)
    )
    return REDACTED if mixed and not run.startswith("/") and run.count("/") <= 3 else run


def _redact_mysql_passwords(text: str) -> str:
    """`mysql -pSECRET`: an attached -p value, only on lines that run a MySQL client."""
    if "-p" not in text or not rules.MYSQL_WORD.search(text.translate(_ASCII_LOWER)):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "-p" in line and rules.MYSQL_WORD.search(line.translate(_ASCII_LOWER)):
            lines[i] = rules.MYSQL_ATTACHED_PASSWORD.sub(lambda m: m.group(1) + REDACTED, line)
    return "\n".join(lines)


# ---------------------------------------------------------------- encodings, Secret manifests
def _redact_encoded_lines(text: str) -> str:
    """`password&#61;X`, `&quot;token&quot;: &quot;X&quot;`, `"pass\\u0077ord": "X"`: a line
    whose entities or escapes, once decoded, hold a secret is shown decoded and redacted."""
    if "&" not in text and "\\u" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not rules.ENCODED_MARK.search(line):
            continue
        decoded = html.unescape(rules.JSON_U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line))
        if decoded != line and "\n" not in decoded:
            hidden = _redact_plain(decoded)
            if hidden != decoded:
                lines[i] = hidden
    return "\n".join(lines)


def _redact_secret_manifests(text: str) -> str:
    """Every value under `data:` / `stringData:` of a YAML document that is `kind: Secret`
    (kubectl prints `data` before `kind`, so the whole document is looked at first)."""
    if "Secret" not in text or "ata" not in text:
        return text
    docs = rules.DOCUMENT_SPLIT.split(text)
    seps = rules.DOCUMENT_SPLIT.findall(text)
    for n, doc in enumerate(docs):
        if rules.SECRET_KIND.search(doc):
            docs[n] = _hide_secret_data(doc)
    return "".join(d + (seps[i] if i < len(seps) else "") for i, d in enumerate(docs))


def _hide_secret_data(doc: str) -> str:
    lines = doc.split("\n")
    data_indent: int | None = None
    for i, line in enumerate(lines):
        body = line.lstrip(" \t")
        indent = len(line) - len(body)
        if data_indent is not None and body and indent > data_indent:
            entry = rules.DATA_ENTRY.fullmatch(line)
            if entry and not rules.BLOCK_INDICATOR.fullmatch(entry.group(2)):
                lines[i] = entry.group(1) + REDACTED
            elif not entry:
                lines[i] = line[:indent] + REDACTED
            continue
        if body:
            key = rules.SECRET_DATA_KEY.fullmatch(line)
            data_indent = len(key.group(1)) if key else None
    return "\n".join(lines)


# ---------------------------------------------------------------- name, then value
def _redact_named_values(text: str) -> str:
    """`{"name": "DB_PASSWORD", "value": X}`, `- name: API_TOKEN` / `value: X`, `<add
    key="DbPassword" value="X"/>`: the value of a field whose sibling name is a secret key."""
    if "value" not in text:
        return text
    names = list(rules.NAME_FIELD.finditer(text))
    out: list[str] = []
    pos = 0
    for i, name in enumerate(names):
        if name.start() < pos or not is_secret_key(name.group(1)):
            continue
        stop = min(
            names[i + 1].start() if i + 1 < len(names) else len(text),
            name.end() + rules.NAMED_VALUE_REACH,
        )
        value = rules.VALUE_FIELD.search(text, name.end(), stop)
        if value is None:
            continue
        shown = value.group(2)
        if shown.lower() in rules.PLACEHOLDERS or shown.strip("\\\"'") == REDACTED:
            continue
        out.append(text[pos : value.start(2)])
        out.append(_hidden(shown))
        pos = value.end(2)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _redact_spaced_passwords(text: str) -> str:
    """netrc `password X` and `... login ... -p X`, only on lines of those shapes."""
    if "password" not in text and "login" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "password" in line and rules.NETRC_LINE.search(line):
            line = rules.NETRC_PASSWORD.sub(lambda m: m.group(1) + REDACTED, line)
        if "-p" in line and rules.LOGIN_LINE.search(line):
            line = rules.LOGIN_PASSWORD.sub(lambda m: m.group(1) + REDACTED, line)
        lines[i] = line
    return "\n".join(lines)


# ---------------------------------------------------------------- key = value
def _redact_key_values(text: str) -> str:
    """Hide values of keys that name a secret: find a secret word, take its whole key, judge
    the key by its last word, then hide the value (same line, or the lines that hold it).

    Each run of key characters is examined once however many secret words it holds.
    """
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters grow when lowered; keep offsets
        low = text.translate(_ASCII_LOWER)
    out: list[str] = []
    pos = 0  # text before pos is already in out
    seen = 0  # key runs before seen were judged
    for word in rules.KEY_WORD.finditer(low):
        if word.start() < max(pos, seen):
            continue
        lo = max(pos, seen, word.start() - rules.MAX_KEY)
        back = rules.KEY_RUN_BACK.match(text[lo : word.start()][::-1])
        start = word.start() - (back.end() if back else 0)
        forward = rules.KEY_RUN.match(text, word.start())
        end = forward.end() if forward else word.end()
        seen = end
        if not is_secret_key(text[start:end].lstrip("-")):
            continue
        hidden = _hide_after_key(text, start, end)
        if hidden is None:
            continue
        replacement, stop = hidden
        out.append(text[pos:end])
        out.append(replacement)
        pos = seen = stop
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _hide_after_key(text: str, start: int, end: int) -> tuple[str, int] | None:
    """(what replaces text[end:stop], stop) for the value of the secret key text[start:end]."""
    before = text[start - 1] if start > 0 else ""
    if before == "<" and text.startswith(">", end):  # <password>value</password>
        value = rules.XML_VALUE.match(text, end + 1)
        stop = value.end() if value else end + 1
        if text[end + 1 : stop].strip():
            return ">" + REDACTED, stop
        eol = _line_end(text, end + 1)
        return _hide_following_lines(text, start, eol, text[end:eol], block=False)
    sep = rules.AFTER_KEY.match(text, end)
    if sep is None:
        if text.startswith("-", start):  # --password VALUE
            flag = rules.FLAG_VALUE.match(text, end)
            if flag and flag.group(1).lower() not in rules.PLACEHOLDERS:
                return text[end : flag.start(1)] + _hidden(flag.group(1)), flag.end()
        return None
    head = sep.group(0)
    if before in ("?", "&") or "%3" in head:
        value = rules.QUERY_VALUE.match(text, sep.end())
    else:
        value = rules.VALUE.match(text, sep.end())
    if value is None:
        if text.startswith("\n", sep.end()) or sep.end() == len(text):
            return _hide_following_lines(text, start, sep.end(), head, block=False)
        return None
    shown = value.group(0)
    if shown[0] in "|>" and rules.BLOCK_INDICATOR.fullmatch(
        text, value.start(), _line_end(text, value.start())
    ):
        eol = _line_end(text, value.start())
        return _hide_following_lines(text, start, eol, text[end:eol], block=True)
    if shown.lower() in rules.PLACEHOLDERS or shown.strip("\\\"'") == REDACTED:
        return None
    return head + _hidden(shown), value.end()


def _hidden(value: str) -> str:
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return f"{quote}{REDACTED}{quote}"
    return REDACTED


def _line_end(text: str, index: int) -> int:
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl


def _hide_following_lines(
    text: str, key_start: int, eol: int, head: str, *, block: bool
) -> tuple[str, int] | None:
    """The value of a key that ends its line: a block scalar (every more-indented line) or a
    value on the next line(s) (`password:` / `"password":` / `<password>` then the value).

    A next line that is itself a mapping entry or a bracket means a nested structure: its
    keys are judged one by one, nothing is hidden here.
    """
    line_start = text.rfind("\n", 0, key_start) + 1
    key_line = text[line_start:key_start]
    key_indent = len(key_line) - len(key_line.lstrip(" \t"))
    pieces = [head]
    pos = eol
    hid = False
    while pos < len(text):  # pos is at a newline
        line_end = _line_end(text, pos + 1)
        line = text[pos + 1 : line_end]
        body = line.lstrip(" \t")
        indent = len(line) - len(body)
        if not body:
            if block:  # blank lines belong to a block scalar
                pos = line_end
                continue
            break
        if hid and indent <= key_indent:
            break
        if block and indent <= key_indent:
            break
        if not block and (body[0] in "{}[]<" or rules.MAPPING_LINE.match(body)):
            break
        if not hid:  # the whole value becomes one line
            pieces.append("\n" + line[:indent] + REDACTED)
        hid = True
        pos = line_end
    if not hid:
        return None
    return "".join(pieces), pos


# ---------------------------------------------------------------- private key blocks
def _redact_key_blocks(text: str) -> str:
    """Hide PEM/OpenSSH private keys and PuTTY key files, also when `tailLines` cut the BEGIN
    line or the END line away.

    A lone END hides everything before it (back to the previous key); a BEGIN without END
    hides everything after it.
    """
    if "PRIVATE KEY" not in text and "Private-MAC" not in text and "PuTTY-User" not in text:
        return text
    out: list[str] = []
    pos = 0
    begin: int | None = None
    for mark in rules.KEY_BLOCK_MARK.finditer(text):
        if mark.group(1) == "BEGIN" or mark.group(2):
            if begin is None:
                out.append(text[pos : mark.start()])
                begin = mark.start()
            continue
        out.append(REDACTED)  # an END, with or without its BEGIN
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
            k: _redact_data(v, secret=secret or (isinstance(k, str) and is_secret_key(k)))
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
