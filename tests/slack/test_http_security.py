"""HTTP mode: Slack's signature and timestamp checks, url_verification, and the real serve
entry point in a subprocess (binds loopback, answers the challenge, rejects unsigned)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.slack import build_bot, serve_command
from bot.adapters.slack.http_server import HttpTransport
from bot.adapters.slack.setup import SlackSettingsError
from bot.config import Settings
from bot.wiring import build
from tests.fakes.slack_api import FakeSlack, SlackSender, event_body, mention
from tests.fixtures.slack_fake import SIGNING_SECRET, SlackHarness, slack_settings


def _challenge_body(challenge: str) -> bytes:
    return json.dumps(
        {"token": "unused", "challenge": challenge, "type": "url_verification"}
    ).encode()


def test_url_verification_answers_the_challenge(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness]
) -> None:
    harness = slack_harness(slack_settings(fake_slack), mode="http")
    assert harness.sender is not None
    status, body = harness.sender.post(
        _challenge_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    )
    assert status == 200
    assert json.loads(body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_bad_stale_and_missing_signatures_are_401_and_do_nothing(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness]
) -> None:
    harness = slack_harness(slack_settings(fake_slack), mode="http")
    sender = harness.sender
    assert sender is not None
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvBAD1",
            "team_id": "T0TEST",
            "event": mention(user="UDEV1", channel="C0OPS", text="help"),
        }
    ).encode()
    forged = SlackSender(sender.url, signing_secret="not-the-secret")
    assert forged.post(body)[0] == 401
    stale = int(time.time()) - 6 * 60  # Slack's limit is five minutes
    assert sender.post(body, timestamp=stale)[0] == 401
    assert sender.post(body, signed=False)[0] == 401
    assert sender.post(_challenge_body("x"), signed=False)[0] == 401
    # a valid signature over different bytes does not verify either
    other = sender.verifier.generate_signature(timestamp=str(int(time.time())), body=b"{}")
    assert sender.post(body, signature=other)[0] == 401
    time.sleep(0.3)  # a lazy listener would have posted by now
    assert fake_slack.calls_to("chat.postMessage") == []
    # and a correctly signed one, a few seconds old, is accepted
    assert sender.post(body, timestamp=int(time.time()) - 60)[0] == 200


def test_unknown_path_is_404(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness]
) -> None:
    harness = slack_harness(slack_settings(fake_slack), mode="http")
    assert harness.http is not None
    sender = SlackSender(
        harness.http.where.replace("/slack/events", "/other"), signing_secret=SIGNING_SECRET
    )
    assert sender.post(_challenge_body("x"))[0] == 404


def test_serve_http_subprocess_answers_challenge_and_rejects_unsigned(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OPSBOT_SLACK_API_URL=fake_slack.api_url,
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
        OPSBOT_DOCKER_DISABLED="true",
        OPSBOT_POLICY_PATH=str(tmp_path / "none.yaml"),
    )
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://(127\.0\.0\.1):(\d+)/slack/events", line)
        if match is None:
            proc.kill()
            raise AssertionError(f"no listening line: {line!r}; stderr: {proc.stderr.read()}")
        sender = SlackSender(match.group(0), signing_secret=SIGNING_SECRET)
        status, body = sender.post(_challenge_body("abc123"))
        assert (status, json.loads(body)) == (200, {"challenge": "abc123"})
        assert sender.post(_challenge_body("abc123"), signed=False)[0] == 401
        assert [c.method for c in fake_slack.calls][:1] == ["auth.test"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    # no OPSBOT_SLACK_GROUP_MAP: one warning at start says how approvals work then
    err = proc.stderr.read() if proc.stderr else ""
    assert err.count("OPSBOT_SLACK_GROUP_MAP is empty") == 1, err
    assert "static `groups:`" in err


def test_serve_names_missing_settings(capsys: pytest.CaptureFixture[str]) -> None:
    empty = Settings(slack_bot_token=None, slack_app_token=None, slack_signing_secret=None)
    assert serve_command(empty, mode="socket", host="127.0.0.1", port=0) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_APP_TOKEN" in err
    assert "SLACK_SIGNING_SECRET" not in err
    assert serve_command(empty, mode="http", host="127.0.0.1", port=0) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err
    assert "SLACK_APP_TOKEN" not in err
    wrong = Settings(slack_bot_token="xapp-oops", slack_signing_secret="s")
    assert serve_command(wrong, mode="http", host="127.0.0.1", port=0) == 2
    assert "should start with xoxb-" in capsys.readouterr().err


def test_serve_socket_mode_subprocess_connects_and_answers(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """The default mode end to end: apps.connections.open with the app token, the websocket,
    an envelope acked and answered in its thread."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_APP_TOKEN=fake_slack.app_token,
        OPSBOT_SLACK_API_URL=fake_slack.api_url,
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
        OPSBOT_DOCKER_DISABLED="true",
        OPSBOT_POLICY_PATH=str(tmp_path / "none.yaml"),
    )
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake_slack.wait_for(
            lambda: fake_slack.socket_connected or proc.poll() is not None,
            timeout=30,
            what="Socket Mode connection",
        )
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        opened = fake_slack.calls_to("apps.connections.open")
        assert [c.token for c in opened] == [fake_slack.app_token]
        ask = mention(user="UDEV1", channel="C0OPS", text="help")
        envelope = fake_slack.send_envelope(type="events_api", payload=event_body(ask))
        fake_slack.wait_for(lambda: fake_slack.ack_for(envelope), what="ack")
        reply = fake_slack.wait_for(lambda: fake_slack.thread("C0OPS", ask["ts"]), what="reply")
        assert "scale" in reply[0].text or "scale" in json.dumps(reply[0].blocks)
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_http_transport_refuses_an_app_without_signature_verification(
    fake_slack: FakeSlack,
) -> None:
    settings = slack_settings(fake_slack, slack_signing_secret=None)
    bot = build_bot(service=build(settings).service, settings=settings)
    with pytest.raises(SlackSettingsError, match="SLACK_SIGNING_SECRET"):
        HttpTransport(bot.app, signing_secret=None, port=0)


def _hung_up_within(port: int, seconds: float, *, send: bytes = b"") -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        started = time.monotonic()
        if send:
            sock.sendall(send)
        try:
            data = sock.recv(1024)
        except TimeoutError as exc:
            raise AssertionError(f"the server kept the connection over {seconds} s") from exc
        assert data == b"", data  # closed without an answer
        return time.monotonic() - started


def test_stalled_connections_are_closed_after_the_timeout(fake_slack: FakeSlack) -> None:
    """Slowloris: a client that sends nothing, or stops mid-body, loses its connection."""
    settings = slack_settings(fake_slack)
    bot = build_bot(service=build(settings).service, settings=settings)
    http = HttpTransport(bot.app, signing_secret=SIGNING_SECRET, port=0, timeout=0.3)
    http.start()
    try:
        assert _hung_up_within(http.port, 5) >= 0.25
        partial = b'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":'
        assert _hung_up_within(http.port, 5, send=partial) >= 0.25
        headers_only = b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"  # never ends its headers
        assert _hung_up_within(http.port, 5, send=headers_only) >= 0.25
        chunked = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"
        )
        assert _hung_up_within(http.port, 5, send=chunked) >= 0.25
        sender = SlackSender(http.where, signing_secret=SIGNING_SECRET)
        assert sender.post(_challenge_body("still-serving"))[0] == 200
    finally:
        http.stop()


def test_an_oversized_body_is_413_whether_announced_or_chunked(fake_slack: FakeSlack) -> None:
    """A body over 1 MB is refused before it is verified or parsed, also when it comes in
    chunks with no Content-Length to announce it."""
    settings = slack_settings(fake_slack)
    bot = build_bot(service=build(settings).service, settings=settings)
    http = HttpTransport(bot.app, signing_secret=SIGNING_SECRET, port=0)
    http.start()
    try:
        big = b"a" * 1_000_001
        announced = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + str(len(big)).encode()
            + b"\r\n\r\n"
            + big
        )
        chunk = f"{len(big):x}".encode() + b"\r\n" + big + b"\r\n"
        chunked = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk
            + b"0\r\n\r\n"
        )
        for request in (announced, chunked):
            with socket.create_connection(("127.0.0.1", http.port), timeout=10) as sock:
                with contextlib.suppress(OSError):  # it may stop reading once it refused
                    sock.sendall(request)
                assert sock.recv(64).startswith(b"HTTP/1.1 413")
    finally:
        http.stop()
