"""A small Docker Engine API test server for faults a real daemon will not produce on demand
(500s, 429s, slow answers). It speaks the same paths and error bodies ({"message": ...}) as
dockerd, so the real docker SDK talks to it unchanged; it binds 127.0.0.1 only."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_VERSION = "1.41"
_VERSIONED = re.compile(r"^/v\d+\.\d+")
_CONTAINER = re.compile(r"^/containers/([^/]+)/(json|start|stop|restart)$")


@dataclass
class Fault:
    status: int | None = None
    delay: float = 0.0
    message: str = "injected fault"


@dataclass
class FakeDockerDaemon:
    """State and fault script of the fake daemon; `requests` records (method, path) seen."""

    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the fake daemon first"
        return f"tcp://127.0.0.1:{self.server.server_address[1]}"

    def add_container(self, name: str, *, running: bool = True) -> None:
        self.containers[name] = {
            "Id": f"{abs(hash(name)):064x}"[:64],
            "Name": f"/{name}",
            "RestartCount": 0,
            "State": {
                "Status": "running" if running else "exited",
                "Running": running,
                "ExitCode": 0,
                "StartedAt": "2026-01-01T00:00:00Z",
                "FinishedAt": "0001-01-01T00:00:00Z",
            },
            "Config": {"Image": "busybox", "Env": [], "Cmd": ["sleep", "300"], "Labels": {}},
            "HostConfig": {"NetworkMode": "none", "RestartPolicy": {"Name": "no"}},
            "Mounts": [],
        }

    def fault(self, method: str, path: str, *, times: int = 1, **kwargs: Any) -> None:
        """The next `times` requests to METHOD path (unversioned, no query) get this fault."""
        self.faults.setdefault((method, path), []).extend(Fault(**kwargs) for _ in range(times))

    def count(self, method: str, path: str) -> int:
        with self.lock:
            return self.requests.count((method, path))

    def start(self) -> None:
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                daemon._handle(self, "GET")

            def do_POST(self) -> None:
                daemon._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- request handling

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        path = _VERSIONED.sub("", handler.path.split("?", 1)[0])
        with self.lock:
            self.requests.append((method, path))
            queue = self.faults.get((method, path))
            fault = queue.pop(0) if queue else None
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status is not None:
                self._send(handler, fault.status, {"message": fault.message})
                return
        status, body = self._route(method, path)
        self._send(handler, status, body)

    def _route(self, method: str, path: str) -> tuple[int, Any]:
        if path == "/_ping":
            return 200, "OK"
        if path == "/version":
            return 200, {"ApiVersion": API_VERSION, "Version": "20.10.24", "MinAPIVersion": "1.12"}
        if method == "GET" and path == "/containers/json":
            return 200, [self._row(c) for c in self.containers.values()]
        match = _CONTAINER.match(path)
        if match is None:
            return 404, {"message": f"page not found: {method} {path}"}
        name, action = match.groups()
        container = self.containers.get(name)
        if container is None:
            return 404, {"message": f"No such container: {name}"}
        if action == "json":
            return 200, container
        running = action != "stop"
        container["State"].update(Status="running" if running else "exited", Running=running)
        return 204, None

    @staticmethod
    def _row(container: dict[str, Any]) -> dict[str, Any]:
        state = container["State"]
        return {
            "Id": container["Id"],
            "Names": [container["Name"]],
            "Image": container["Config"]["Image"],
            "State": state["Status"],
            "Status": "Up 5 minutes" if state["Running"] else "Exited (0) 1 minute ago",
        }

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        if body is None:
            payload, kind = b"", "text/plain"
        elif isinstance(body, str):
            payload, kind = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(body).encode(), "application/json"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): that is what the test wanted
