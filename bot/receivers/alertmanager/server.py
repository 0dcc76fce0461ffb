"""POST /alertmanager: authenticate, bound, validate, record (durably, once: the alert work
queue, bot/workqueue) and answer; worker threads in every replica then work the queue (one
worker per notification; a dead replica's is taken over, a failed one retried).

Answers: 200 recorded (a retry or another replica's copy records nothing more and gets the
first copy's entry id), 401 without
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
from bot.receivers.alertmanager.payload import WebhookMessage
from bot.receivers.alertmanager.processor import AlertProcessor
from bot.workqueue import Delivery, QueueUnavailable, WorkerPool, WorkQueue

log = logging.getLogger("opsbot.alerts")

PATH = "/alertmanager"
MAX_BODY_BYTES = 1024 * 1024
REQUEST_TIMEOUT_SECONDS = 15.0
KIND = "alertmanager-notification"


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
    """`accept` records a notification in the alert work queue (once per delivery key) before
    it answers 200; `handle` processes one taken from the queue (WorkerPool). A `handle` that
    raises leaves its entry to be taken over and tried again, up to `max_attempts`
    deliveries; `keep_every_seconds` (under the queue's takeover timeout) keeps a live
    worker's entry from being taken over."""

    queue: WorkQueue
    processor: AlertProcessor
    credentials: Credentials
    max_attempts: int = 3
    keep_every_seconds: float = 10.0

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
            entry = self.queue.put(
                KIND, message.model_dump(mode="json"), dedupe_key=message.delivery_key()
            )
        except QueueUnavailable as exc:
            log.warning("alert notification not recorded (Redis): %s", exc)
            return 503, {"error": "could not record the notification; retry"}
        return 200, {"status": "recorded", "entry": entry}

    def handle(self, delivery: Delivery) -> None:
        """Process one recorded notification (raises: retried after the takeover timeout)."""
        self.processor.process(WebhookMessage.model_validate(delivery.payload))

    def give_up(self, delivery: Delivery) -> None:
        group = str(delivery.payload.get("groupKey", "?"))[:200]
        log.error(
            "alert notification %s (group %s) failed %d times; dropped",
            delivery.id,
            group,
            delivery.attempts - 1,
        )


@dataclass
class ReceiverServer:
    host: str
    port: int
    _server: _Server = field(repr=False)
    _http: threading.Thread = field(repr=False)
    _workers: WorkerPool = field(repr=False)
    grace_seconds: float = 25.0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PATH}"

    def stop(self, *, grace_seconds: float | None = None) -> bool:
        """Take no new notifications, then let the workers finish what they hold within the
        grace period (what is still held after it is taken over by another replica). True
        when every worker finished."""
        self._server.shutdown()
        self._server.server_close()
        self._http.join(timeout=10)
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        return self._workers.stop(grace_seconds=grace)


def start_receiver(
    receiver: AlertReceiver,
    *,
    host: str,
    port: int,
    workers: int = 2,
    grace_seconds: float = 25.0,
) -> ReceiverServer:
    if not receiver.credentials.configured:
        raise ValueError(
            "the Alertmanager receiver needs a secret: set OPSBOT_ALERTS_TOKEN (or "
            "OPSBOT_ALERTS_BASIC_USER and OPSBOT_ALERTS_BASIC_PASSWORD)"
        )
    server = _Server((host, port), receiver)
    http = threading.Thread(
        target=server.serve_forever,
        name="opsbot-alerts-http",
        kwargs={"poll_interval": 0.2},
        daemon=True,
    )
    http.start()
    pool = WorkerPool(
        receiver.queue,
        receiver.handle,
        give_up=receiver.give_up,
        threads=workers,
        name="opsbot-alerts",
        max_attempts=receiver.max_attempts,
        keep_every_seconds=receiver.keep_every_seconds,
    ).start()
    bound_host, bound_port = server.server_address[:2]
    return ReceiverServer(
        host=str(bound_host),
        port=int(bound_port),
        _server=server,
        _http=http,
        _workers=pool,
        grace_seconds=grace_seconds,
    )
