"""Slack's request signature, checked over the exact bytes received, before the body is parsed.

Bolt parses the body before its own verification middleware runs (a malformed body raises in
`BoltRequest`), lets a non-numeric timestamp header raise inside the verifier (a 500), and takes
any form body containing the text `payload` for an interactive payload (so `/ops ... payload`
is dropped). `check_request` closes all three: verify first, then parse strictly."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltContext, BoltRequest
from slack_bolt.request.internals import build_context

MAX_AGE_SECONDS = 5 * 60  # Slack's replay window
_TIMESTAMP_DIGITS = 12


@dataclass(frozen=True)
class Accepted:
    """A correctly signed, recent request whose body parsed to a JSON object."""

    text: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Refused:
    """Answer `status` with `reason`, and do nothing else."""

    status: int
    reason: str


def check_request(
    raw: bytes,
    headers: Mapping[str, str],
    *,
    signing_secret: str,
    now: Callable[[], float] = time.time,
) -> Accepted | Refused:
    """Verify the signature over `raw`, then parse it the way Slack sends it. `headers` has
    lower-case names. Unsigned, stale or forged -> 401; signed but malformed -> 400."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        return Refused(401, "missing or malformed X-Slack-Request-Timestamp")
    if abs(now() - int(timestamp)) > MAX_AGE_SECONDS:
        return Refused(401, "request timestamp outside Slack's five-minute window")
    expected = (
        "v0="
        + hmac.new(
            signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refused(401, "invalid request signature")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refused(400, "request body is not UTF-8")
    content_type = headers.get("content-type", "").split(";")[0].strip()
    body = _parse(text, content_type)
    if body is None:
        return Refused(400, "malformed request body")
    return Accepted(text=text, body=body)


def _parse(text: str, content_type: str) -> dict[str, Any] | None:
    """JSON (events) or a form (slash commands; interactivity sends one `payload` field holding
    JSON). A form is an interactive payload only when `payload` is one of its keys."""
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return _json_object(text)
    try:
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    if "payload" in form:
        return _json_object(form["payload"])
    return form


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class StrictBoltRequest(BoltRequest):
    """A BoltRequest carrying the strict parse of an accepted body, in itself and in the copies
    Bolt makes for lazy listeners (its own parse would turn `text=... payload ...` into {})."""

    def __init__(self, *, parsed: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = parsed
        self.context = build_context(BoltContext(dict(self.context)), parsed)

    def to_copyable(self) -> BoltRequest:
        return StrictBoltRequest(
            parsed=self.body,
            body=self.raw_body,
            query=self.query,
            headers=dict(self.headers),
            context=self.context.to_copyable(),
            mode=self.mode,
        )
