"""Slack HTTP edges: every request is verified over its exact bytes before its body is parsed.

Unsigned or malformed bodies get 401 without a traceback, a non-numeric timestamp header is a 401
(not a 500 from inside the verifier), and a signed `/ops` command whose text contains the word
`payload` is a slash command (Bolt's own parser takes any form body containing `payload` for an
interactive payload and drops the command)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from tests.fakes.slack_api import FakeSlack, command_payload
from tests.fixtures.slack_fake import CHANNEL, SIGNING_SECRET, SlackHarness, slack_settings, text_of

MALFORMED_BODIES = [
    b'{"type": "event_callback", "event": ',  # truncated JSON
    b"\xff\xfe\x00garbage",  # not UTF-8
    b"payload=%7Bnot-json",  # a form `payload` that is not JSON
    b"payload=%5B1%2C2%5D",  # a form `payload` that is JSON but not an object
    b"[1, 2, 3]",  # JSON, but not an object
]


def _raw_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _signed_post(url: str, body: bytes, *, secret: str, content_type: str) -> int:
    """Sign the exact bytes as Slack does (slack_sdk's signer only takes UTF-8 bodies)."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }
    return _raw_post(url, body, headers)


def _no_traceback(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, err
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert record.levelno < logging.ERROR, record.getMessage()


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_unsigned_malformed_bodies_are_401_before_parsing(
    body: bytes,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = slack_harness(slack_settings(fake_slack), mode="http")
    assert h.sender is not None and h.http is not None
    caplog.set_level(logging.DEBUG)
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        assert h.sender.post(body, content_type=content_type, signed=False)[0] == 401
        forged = _signed_post(
            h.http.where, body, secret="not-the-secret", content_type=content_type
        )
        assert forged == 401
    _no_traceback(capfd, caplog)


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_signed_malformed_bodies_are_refused_without_a_traceback(
    body: bytes,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = slack_harness(slack_settings(fake_slack), mode="http")
    assert h.sender is not None
    caplog.set_level(logging.DEBUG)
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        signed = _signed_post(h.sender.url, body, secret=SIGNING_SECRET, content_type=content_type)
        assert signed == 400
    _no_traceback(capfd, caplog)
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("timestamp", ["abc", "", "12.5", "1e9", " ", "0x10", "1_700_000_000"])
def test_a_non_numeric_timestamp_header_is_401_not_500(
    timestamp: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = slack_harness(slack_settings(fake_slack), mode="http")
    assert h.sender is not None
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"token": "x", "challenge": "c", "type": "url_verification"}).encode()
    signature = h.sender.verifier.generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    assert _raw_post(h.sender.url, body, headers) == 401
    _no_traceback(capfd, caplog)


def test_a_slash_command_whose_text_says_payload_is_a_command(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness]
) -> None:
    h = slack_harness(slack_settings(fake_slack), mode="http")
    assert h.sender is not None
    response_url = f"{fake_slack.base_url}/respond/payload-check"
    form = command_payload(
        text="help payload", user="UDEV1", channel=CHANNEL, response_url=response_url
    )
    status, _ = h.sender.post(
        urlencode(form).encode(), content_type="application/x-www-form-urlencoded"
    )
    assert status == 200
    reply = h.wait_message(
        lambda m: m.channel == CHANNEL and "help payload" in text_of(m),
        what="the answer to `/ops help payload`",
    )
    assert "<@UDEV1>" in text_of(reply)


def test_an_interactive_payload_form_still_reaches_bolt(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness]
) -> None:
    """The real `payload=` form (block actions) is still parsed as one: a signed, well-formed
    interactive payload Bolt has no listener for is acknowledged as Bolt does (404), not 400."""
    h = slack_harness(slack_settings(fake_slack), mode="http")
    assert h.sender is not None
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": "UDEV1"},
        "api_app_id": "A0TEST",
        "actions": [{"action_id": "nobody-listens", "block_id": "b", "type": "button"}],
        "trigger_id": "1.2.3",
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    status, _ = h.sender.post(
        body, content_type="application/x-www-form-urlencoded", timestamp=int(time.time())
    )
    assert status == 404
