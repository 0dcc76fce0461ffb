"""POST /alertmanager: authenticate, bound, validate, record (durably, once) and answer; a
worker thread in every replica then works the queue (one replica per notification).

Answers: 200 recorded (or already recorded: a retry or another replica's copy), 401 without
an accepted secret, 404 other paths, 405 other methods, 411/413 missing or oversized body,
400 not JSON, 422 not a version-4 webhook payload, 503 Redis unavailable (Alertmanager
retries 5xx)."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from bot.receivers.alertmanager.auth import Credentials, authorized
from bot.receivers.alertmanager.ledger import AlertLedger, LedgerUnavailable
from bot.receivers.alertmanager.payload import WebhookMessage
from bot.receivers.alertmanager.processor import AlertProcessor

log = logging.getLogger("opsbot.alerts")

PATH = "/alertmanager"
MAX_BODY_BYTES = 1024 * 1024
REQUEST_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.5


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], receiver: AlertReceiver) -> None:
        super().__init__(address, _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # headers and body are two writes: with Nagle on, a kept-alive connection (Alertmanager
    # reuses its connections) waits for the client's delayed ACK, ~40 ms per notification
    disable_nagle_algorithm = True
    server_version = "opsbot"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(REQUEST_TIMEOUT_SECONDS)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: dict[str, Any], **headers: str) -> None:
        raw = json.dumps(body, sort_keys=True).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._send(405 if self.path.split("?")[0] == PATH else 404, {"error": "POST only"})

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0].rstrip("/") != PATH:
            self._send(404, {"error": f"no such endpoint; alerts go to {PATH}"})
            return
        receiver = self.server.receiver
        if not authorized(self.headers.get("Authorization"), receiver.credentials):
            self.close_connection = True
            self._send(
                401,
                {"error": "missing or wrong credentials (http_config authorization or basic_auth)"},
                WWW_Authenticate='Bearer realm="opsbot"',
            )
            return
        try:
            length = int(self.headers.get("Content-Length") or "-1")
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(411, {"error": "a Content-Length header is required"})
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
            return
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            return
        status, body = receiver.accept(raw)
        self._send(status, body)


def _problems(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:20]
    ]


@dataclass
class AlertReceiver:
    """The receiver: `accept` records a notification; `work_once` processes one queued."""

    ledger: AlertLedger
    processor: AlertProcessor
    credentials: Credentials
    _wake: threading.Event = field(default_factory=threading.Event)

    def accept(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return 400, {"error": f"the body is not JSON: {exc}"}
        try:
            message = WebhookMessage.model_validate(data)
        except ValidationError as exc:
            return 422, {
                "error": "not an Alertmanager webhook (version 4)",
                "problems": _problems(exc),
            }
        try:
            fresh = self.ledger.record(message.delivery_key(), message.model_dump_json())
        except LedgerUnavailable as exc:
            log.warning("alert notification not recorded (Redis): %s", exc)
            return 503, {"error": "could not record the notification; retry"}
        if fresh:
            self._wake.set()
        return 200, {"status": "recorded" if fresh else "already recorded"}

    def work_once(self) -> bool:
        """Process one queued notification; False when the queue is empty."""
        raw = self.ledger.take()
        if raw is None:
            return False
        try:
            self.processor.process(WebhookMessage.model_validate_json(raw))
        except Exception:
            log.exception("processing an alert notification failed; it is not retried")
        finally:
            self.ledger.done(raw)
        return True

    def run_worker(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.work_once():
                    continue
            except Exception:
                log.exception("the alert queue could not be read; trying again")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()


@dataclass
class ReceiverServer:
    host: str
    port: int
    _server: _Server = field(repr=False)
    _threads: list[threading.Thread] = field(repr=False)
    _stop: threading.Event = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PATH}"

    def stop(self) -> None:
        self._stop.set()
        self._server.receiver._wake.set()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)


def start_receiver(
    receiver: AlertReceiver, *, host: str, port: int, workers: int = 2
) -> ReceiverServer:
    if not receiver.credentials.configured:
        raise ValueError(
            "the Alertmanager receiver needs a secret: set OPSBOT_ALERTS_TOKEN (or "
            "OPSBOT_ALERTS_BASIC_USER and OPSBOT_ALERTS_BASIC_PASSWORD)"
        )
    server = _Server((host, port), receiver)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=server.serve_forever, name="opsbot-alerts-http", kwargs={"poll_interval": 0.2}
        )
    ] + [
        threading.Thread(target=receiver.run_worker, args=(stop,), name=f"opsbot-alerts-{i}")
        for i in range(workers)
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    bound_host, bound_port = server.server_address[:2]
    return ReceiverServer(
        host=str(bound_host), port=int(bound_port), _server=server, _threads=threads, _stop=stop
    )
