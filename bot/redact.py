"""Secret redaction and output truncation for anything read from a cluster or host.

Data from backends is untrusted: it goes through `redact` before it reaches chat, the LLM or
the audit trail, and through `truncate` so one noisy pod cannot flood a thread.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"

_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # key=value / key: value where the key names a secret
    re.compile(
        r"(?i)\b([A-Z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|"
        r"private[_-]?key|credentials?|auth)[A-Z0-9_.-]*)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;]+)"
    ),
    re.compile(r"\b(xox[abposr]-)()([A-Za-z0-9-]{10,})"),  # Slack tokens
    re.compile(r"\b(xapp-)()([A-Za-z0-9-]{10,})"),
    re.compile(r"\b(sk-)()([A-Za-z0-9_-]{16,})"),  # OpenAI-style keys
    re.compile(r"\b(AKIA)()([0-9A-Z]{16})"),  # AWS access key ids
    re.compile(r"\b(gh[pousr]_)()([A-Za-z0-9]{20,})"),  # GitHub tokens
    re.compile(r"(eyJ)()([A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,})"),  # JWTs
    re.compile(r"(://[^/\s:@]+:)()([^@\s/]+)(?=@)"),  # passwords in URLs
)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
_SECRET_KEY_NAME = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)"
)


def redact(text: str) -> str:
    """Replace secret-looking values in free text with [REDACTED]."""
    text = _PEM.sub(REDACTED, text)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text


def redact_env(env: list[str] | dict[str, str] | None) -> dict[str, str]:
    """Container environment: names are kept, every value is hidden (values are often secrets)."""
    if env is None:
        return {}
    pairs = env.items() if isinstance(env, dict) else (e.partition("=")[::2] for e in env)
    return {name: REDACTED for name, _ in pairs}


def redact_data(value: Any) -> Any:
    """Redact strings anywhere in a JSON-like structure; values under secret-named keys go."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and _SECRET_KEY_NAME.search(k) and v
                else redact_data(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def truncate(text: str, *, max_chars: int, keep: str = "tail") -> tuple[str, bool]:
    """Cut long output to `max_chars`, keeping the tail (logs) or head, with a visible marker."""
    if len(text) <= max_chars:
        return text, False
    marker = f"… [truncated: {len(text) - max_chars} of {len(text)} characters not shown]"
    if keep == "tail":
        return marker + "\n" + text[-max_chars:], True
    return text[:max_chars] + "\n" + marker, True
