"""A bare Bolt app (listeners only ack) served two ways, as the baselines of bench_slack_ack:
on a thread-per-connection http.server (how Bolt's own development server and WSGI servers in
threaded mode run it) and on opsbot's aiohttp front (bot/adapters/slack/http_server.py)."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App, BoltRequest

from bench.slack_replica import SECRET
from bot.adapters.slack.http_server import HttpTransport
from bot.adapters.slack.setup import make_web_client
from bot.config import Settings


def bare_app(api_url: str, bot_token: str) -> App:
    settings = Settings(slack_bot_token=bot_token, slack_api_url=api_url)
    # the same Bolt settings as opsbot's receiver, so the ratio is the cost of opsbot's own work
    app = App(client=make_web_client(settings), signing_secret=SECRET, process_before_response=True)

    def ack_only(ack: Ack) -> None:
        ack()

    app.event("app_mention")(ack_only)
    app.command("/ops")(ack_only)
    return app


class _Threaded(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve_threaded(app: App) -> tuple[str, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers = {k.lower(): [v] for k, v in self.headers.items()}
            response = app.dispatch(BoltRequest(body=body, headers=headers))
            raw = response.body.encode()
            self.send_response(response.status)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = _Threaded(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}/slack/events", thread


def main(front: str, api_url: str, bot_token: str) -> int:
    """Child process: serve the bare app, print its URL, run until stdin closes."""
    app = bare_app(api_url, bot_token)
    if front == "threaded":
        url, _ = serve_threaded(app)
    else:
        transport = HttpTransport(app, signing_secret=SECRET, port=0)
        transport.start()
        url = transport.where
    print(url, flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
