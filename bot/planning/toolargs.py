"""Turning a model's tool-call arguments into catalog operations (or a readable error)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from bot.catalog import Operation, parse_operation

ArgumentError = (ValueError, ValidationError)
"""What `to_operation` raises on bad arguments (json.JSONDecodeError is a ValueError)."""


def arguments(raw: str) -> dict[str, Any]:
    # strict=False: small models put raw newlines/tabs inside JSON strings (measured with
    # llama.cpp); the values are validated against the catalog schema afterwards anyway
    data = json.loads(raw or "{}", strict=False)
    if not isinstance(data, dict):
        raise ValueError("tool arguments must be a JSON object")
    return data


def to_operation(kind: str, raw: str) -> Operation:
    """Validate a step or lookup call; null means "use the default" (strict-mode convention)."""
    args = {k: v for k, v in arguments(raw).items() if v is not None}
    args.pop("operation", None)
    return parse_operation({"operation": kind, **args})


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'arguments'}: {err['msg']}"
            for err in exc.errors()
        ]
        return "; ".join(parts)
    return str(exc)
