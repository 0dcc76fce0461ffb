"""The model's own free text, made safe to show: prompt fragments stripped, redacted, clipped.

Weak models echo their instructions ("Rules: 1. Propose plan steps only ...") and the
delimiters of the data they were given. Neither is the model's answer: echoed prompt lines and
`<untrusted-data ...>` tags (lookalikes included) are removed before the text is shown, and
what remains is labelled as the model's words wherever it is not a checked result.
"""

from __future__ import annotations

import re

from bot.planning.prompt import system_prompt
from bot.redact import redact

MODEL_LABEL = "The model said (unchecked):"
_TAG_RE = re.compile(r"<\s*/?\s*untrusted[\s_-]*data\b[^>]*>?", re.IGNORECASE)
_NUMBERING_RE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*")
_MIN_FRAGMENT = 16


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[{}<>\[\]`*_]", " ", text).lower().split())


_PROMPT = _normal(system_prompt(max_lookups=3))


def _is_prompt_echo(line: str) -> bool:
    core = _normal(_NUMBERING_RE.sub("", line))
    return len(core) >= _MIN_FRAGMENT and core in _PROMPT


def clean_model_text(text: str, limit: int = 1500) -> str:
    """Strip echoed prompt lines and data tags, redact, clip to `limit` characters."""
    text = _TAG_RE.sub("", text)
    lines = [line for line in text.splitlines() if not _is_prompt_echo(line)]
    cleaned = redact("\n".join(lines).strip())
    cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
