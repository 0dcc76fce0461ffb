"""A small threaded HTTP server for probes and Prometheus scraping.

Bound to settings.http_host:settings.http_port (127.0.0.1:8080 by default; the Helm chart
sets 0.0.0.0 so the kubelet and Prometheus can reach it; port 0 picks a free port).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import Settings
from bot.endpoints.readiness import Readiness
from bot.metrics import exposition

log = logging.getLogger("opsbot.endpoints")

JSON = "application/json"
REQUEST_TIMEOUT_SECONDS = 15.0  # a connection that stalls this long is closed (slowloris)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "opsbot"
    sys_version = ""

    def setup(self) -> None:
        # a socket timeout on every read and write, so a client that sends nothing (or
        # dribbles its request) cannot hold a thread and a socket for ever
        super().setup()
        self.connection.settimeout(self.server.request_timeout)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/healthz":
            self._send(200, JSON, _json({"status": "ok"}))
        elif path == "/readyz":
            self._readyz()
        elif path == "/metrics":
            body, content_type = exposition()
            self._send(200, content_type, body)
        else:
            self._send(
                404,
                JSON,
                _json(
                    {
                        "error": f"no such endpoint {path!r}",
                        "endpoints": ["/healthz", "/readyz", "/metrics"],
                    }
                ),
            )

    def do_HEAD(self) -> None:
        self.do_GET()

    def _readyz(self) -> None:
        try:
            checks = self.server.readiness()
        except Exception as exc:  # noqa: BLE001 - a broken check must answer 503, not hang up
            checks = {"readiness": f"checks failed: {type(exc).__name__}"}
        down = {name: reason for name, reason in checks.items() if reason is not None}
        if down:
            body = {"status": "not ready", "down": down, "checks": checks}
            self._send(503, JSON, _json(body))
        else:
            self._send(200, JSON, _json({"status": "ready", "checks": checks}))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], readiness: Readiness, *, request_timeout: float
    ) -> None:
        super().__init__(address, _Handler)
        self.readiness = readiness
        self.request_timeout = request_timeout


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True).encode() + b"\n"


@dataclass
class EndpointServer:
    """The running endpoint server; `.stop()` closes it and joins its thread."""

    host: str
    port: int
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_endpoints(
    *,
    settings: Settings,
    readiness: Readiness,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
) -> EndpointServer:
    """Serve /healthz, /readyz and /metrics on a daemon thread; returns once listening.
    A connection idle for `request_timeout` seconds mid-request is closed."""
    try:
        server = _Server(
            (settings.http_host, settings.http_port), readiness, request_timeout=request_timeout
        )
    except OSError as exc:
        raise OSError(
            f"cannot listen on {settings.http_host}:{settings.http_port} for /healthz, /readyz "
            f"and /metrics ({exc}); set OPSBOT_HTTP_HOST / OPSBOT_HTTP_PORT to a free address"
        ) from exc
    host, port = server.server_address[:2]
    thread = threading.Thread(
        target=server.serve_forever, name="opsbot-endpoints", kwargs={"poll_interval": 0.2}
    )
    thread.daemon = True
    thread.start()
    log.info("endpoints listening on %s:%s (/healthz, /readyz, /metrics)", host, port)
    return EndpointServer(host=str(host), port=int(port), _server=server, _thread=thread)
