"""Slack's HTTP Events API (events, slash commands) on POST /slack/events, served by aiohttp.

Why an event loop: a thread per connection (http.server) makes the ack wait for the
interpreter lock behind every other connection's thread; with 50 concurrent requests its
tail latency was 4-10x the median. Here one loop reads every request, verifies its signature
over the exact bytes (`check_request`: unsigned, stale or forged -> 401, malformed -> 400)
and hands the Bolt dispatch (record in the work queue, then ack) to a few threads.

Connections are bounded in time: a request whose headers or body stall for `timeout`
seconds loses its connection (slowloris), and an idle keep-alive connection is closed after
it too."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from slack_bolt import App
from slack_bolt.middleware.request_verification import RequestVerification

from bot.adapters.slack.setup import SlackSettingsError
from bot.adapters.slack.signed_request import Refused, StrictBoltRequest, check_request

log = logging.getLogger("opsbot.slack.serve")

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000
REQUEST_TIMEOUT_SECONDS = 15.0  # a connection that stalls this long is closed (slowloris)
DISPATCH_THREADS = 4


class HttpTransport:
    """Serve `app` (a Bolt App that verifies signatures) on host:port until `stop()`."""

    def __init__(
        self,
        app: App,
        *,
        signing_secret: str | None,
        host: str = "127.0.0.1",
        port: int = 3000,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        dispatch_threads: int = DISPATCH_THREADS,
    ) -> None:
        if not signing_secret or not verifies_signatures(app):
            raise SlackSettingsError(
                "refusing to serve HTTP without request signature verification: "
                "set SLACK_SIGNING_SECRET"
            )
        self.app = app
        self._secret = signing_secret
        self._host = host
        self._timeout = timeout
        self._pool = ThreadPoolExecutor(dispatch_threads, thread_name_prefix="opsbot-slack-ack")
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(
            self._web_app(), access_log=None, keepalive_timeout=timeout, shutdown_timeout=5
        )
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        self._loop.run_until_complete(site.start())
        self.port: int = int(self._runner.addresses[0][1])
        self._thread: threading.Thread | None = None

    @property
    def where(self) -> str:
        return f"http://{self._host}:{self.port}{EVENTS_PATH}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="opsbot-slack-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Take no new requests; the ones being acked finish (bounded by `shutdown_timeout`)."""
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        else:
            self._loop.run_until_complete(self._runner.cleanup())
        self._pool.shutdown(wait=True)
        self._loop.close()

    def _web_app(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_route("*", EVENTS_PATH, self._events)
        web_app.router.add_route("*", "/{tail:.*}", _not_found)
        return web_app

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405, text="POST only")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="request too large")
        try:
            raw = await asyncio.wait_for(request.read(), self._timeout)
        except TimeoutError:
            _hang_up(request)  # a body that stalls: drop the connection without an answer
            log.info("closed a Slack request whose body stalled for %s s", self._timeout)
            return web.Response(status=408)  # never sent: the connection is closed
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="request too large")
        # the first of a repeated header wins, as in check_request's other callers
        headers = {name.lower(): value for name, value in reversed(list(request.headers.items()))}
        checked = check_request(raw, headers, signing_secret=self._secret)
        if isinstance(checked, Refused):
            log.info("refused a Slack request (HTTP %d): %s", checked.status, checked.reason)
            return web.Response(status=checked.status, text=checked.reason)
        multi: dict[str, str | Sequence[str]] = {}
        for name, value in request.headers.items():
            previous = multi.get(name.lower())
            multi[name.lower()] = [*previous, value] if isinstance(previous, list) else [value]
        bolt_request = StrictBoltRequest(
            parsed=checked.body, body=checked.text, query=request.query_string, headers=multi
        )
        response = await asyncio.get_running_loop().run_in_executor(
            self._pool, self.app.dispatch, bolt_request
        )
        answer = web.Response(status=response.status, body=response.body.encode("utf-8"))
        for name, values in response.headers.items():
            if name.lower() not in {"content-length", "content-type"}:
                for value in values:
                    answer.headers.add(name, value)
        content_type = response.headers.get("content-type")
        if content_type:
            answer.headers["Content-Type"] = content_type[0]
        return answer


async def _not_found(request: web.Request) -> web.Response:
    return web.Response(status=404, text="not found")


def _hang_up(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def verifies_signatures(app: App) -> bool:
    """True when Bolt checks every request's signature and age (its RequestVerification)."""
    middleware = getattr(app, "_middleware_list", None)
    return isinstance(middleware, list) and any(
        isinstance(m, RequestVerification) for m in middleware
    )
