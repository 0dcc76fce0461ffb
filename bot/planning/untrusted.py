"""Untrusted data for the model: delimited, redacted, and unable to close its own block.

Everything read from a cluster or host (names, lookup results, grounding refusals that list
existing names) goes to the model inside an <untrusted-data> block. The tag name cannot be
forged from inside, lookalikes included: the data is read the way a lenient reader would
(NFKC, case folded, zero-width and other format characters and combining marks dropped,
Cyrillic/Greek/small-capital letters that look Latin folded to Latin), and every span that
reads as the tag name is replaced. Error texts lose file paths before the model sees them.
"""

from __future__ import annotations

import re
import unicodedata

from bot.redact import redact, truncate

DATA_TAG = "untrusted-data"
_NEUTRAL = "[tag]"
_TAG_SKELETON = re.compile(r"untrusted[\W_]*data")
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
# letters that render like the Latin letters of the tag name (Unicode confusables, the subset
# NFKC leaves alone): Cyrillic, Greek, Armenian, Latin small capitals and the like
_CONFUSABLES = str.maketrans(
    {
        **dict.fromkeys("\u0430\u0251\u03b1\u2c81", "a"),
        **dict.fromkeys("\u0501\u0257\u146f\u217e", "d"),
        **dict.fromkeys("\u0435\u0454\u04bd\u03b5\u025b", "e"),
        **dict.fromkeys("\u0578\u043f\u057c\u03b7", "n"),
        **dict.fromkeys("\u0433\u027c\u1d26", "r"),
        **dict.fromkeys("\u0455\ua731\u01bd", "s"),
        **dict.fromkeys("\u0442\u03c4\u1d1b\u0167", "t"),
        **dict.fromkeys("\u057d\u03c5\u03bc\u1d1c", "u"),
        **dict.fromkeys("\u1d00", "a"),
        **dict.fromkeys("\u1d05", "d"),
        **dict.fromkeys("\u1d07", "e"),
        **dict.fromkeys("\u0274", "n"),
        **dict.fromkeys("\u0280", "r"),
    }
)
_PATH = re.compile(r"(?<![\w:/.])(?:~|\.{1,2})?(?:/[\w.@%+=,-]+)+/?")
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text as a lenient reader sees it, with each character's index in `text`."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        if unicodedata.category(char) in _DROPPED_CATEGORIES:
            continue
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if unicodedata.category(folded) in _DROPPED_CATEGORIES:
                continue
            out.append(folded.translate(_CONFUSABLES))
            where.append(i)
    return "".join(out), where


def neutralise_tags(text: str) -> str:
    """Replace every span that reads as the data tag's name, lookalikes included (again until
    none is left, so a replacement cannot join two halves into a new tag)."""
    while True:
        skeleton, where = _skeleton(text)
        spans = [
            (where[m.start()], where[m.end() - 1] + 1) for m in _TAG_SKELETON.finditer(skeleton)
        ]
        if not spans:
            return text
        parts: list[str] = []
        last = 0
        for start, end in spans:
            parts += [text[last:start], _NEUTRAL]
            last = end
        text = "".join(parts) + text[last:]


def data_block(
    content: str,
    *,
    source: str,
    evidence_id: str | None = None,
    max_chars: int,
    redacted: bool = False,
) -> str:
    """Redact, truncate and delimit untrusted text so it reads as data, never as instructions.

    `redacted=True`: the caller redacted each piece already (structured names, where a
    free-text pass would read "deployments in auth: auth-api" as a secret key and value).
    """
    clean, _ = truncate(content if redacted else redact(content), max_chars=max_chars, keep="tail")
    clean = neutralise_tags(clean)
    safe_source = neutralise_tags(redact(source)).replace('"', "'")
    ident = f' id="{evidence_id}"' if evidence_id else ""
    return f'<{DATA_TAG}{ident} source="{safe_source}">\n{clean}\n</{DATA_TAG}>'


def scrub_error(text: str) -> str:
    """An error text fit for the model: secrets redacted, file paths and URL credentials
    removed (a kubeconfig path or a token file says where credentials live)."""
    return _PATH.sub("[path]", _URL_USERINFO.sub("", redact(text)))
