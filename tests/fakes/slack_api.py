"""A fake Slack: the Web API over HTTP and the Socket Mode websocket, both on 127.0.0.1.

It answers like Slack does (HTTP 200 with `{"ok": false, "error": ...}` for API errors, HTTP 429
with Retry-After when told to), records every call, and keeps the messages it was sent so tests
can read what a user would see. Driven only through the real slack_sdk / Bolt clients.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier
from websockets.asyncio.server import ServerConnection, serve

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEST"
APP_ID = "A0TEST"
# Slack's documented message limits (Block Kit reference, chat.postMessage)
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_FIELD_CHARS = 2000
MAX_HEADER_CHARS = 150
MAX_TEXT_CHARS = 40_000


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    user: str = BOT_USER_ID
    updates: int = 0
    ephemeral_for: str | None = None


@dataclass
class Fault:
    status: int
    error: str
    retry_after: int | None
    remaining: int


class FakeSlack:
    """Start with `start()`; `api_url` is the WebClient base_url (ends with /api/)."""

    def __init__(self, *, bot_token: str = "xoxb-test", app_token: str = "xapp-test") -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.user_messages: set[tuple[str, str]] = set()  # (channel, ts) of people's messages
        self.reactions: dict[tuple[str, str], set[str]] = {}  # the bot's own reactions
        self.uploads: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response_url
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}  # id -> {handle, users}
        self.channels: dict[str, dict[str, Any]] = {}
        self.acks: list[dict[str, Any]] = []  # Socket Mode acknowledgements
        self._faults: dict[str, list[Fault]] = {}
        self._delays: dict[str, list[tuple[float, str | None]]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._http: ThreadingHTTPServer | None = None
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._ws_port = 0
        self._ws_ready = threading.Event()
        self._ws_stop: asyncio.Future[None] | None = None
        self._sockets: list[ServerConnection] = []

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlack:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        threading.Thread(target=self._run_ws, daemon=True).start()
        if not self._ws_ready.wait(10):
            raise RuntimeError("fake Socket Mode server did not start")
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        loop, stop = self._ws_loop, self._ws_stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

    @property
    def base_url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ----------------------------------------------------------------- directory setup
    def add_user(self, user_id: str, *, name: str, groups: tuple[str, ...] = ()) -> None:
        """A workspace user; `groups` are user group handles (created on demand)."""
        with self._lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": name.title(),
                "deleted": False,
                "is_bot": False,
                "profile": {"display_name": name, "real_name": name.title()},
            }
            for handle in groups:
                group = self._group_by_handle(handle)
                if user_id not in group["users"]:
                    group["users"].append(user_id)

    def _group_by_handle(self, handle: str) -> dict[str, Any]:
        for group in self.usergroups.values():
            if group["handle"] == handle:
                return group
        gid = f"S{next(self._ids):05d}"
        group = {"id": gid, "handle": handle, "name": handle.upper(), "users": []}
        self.usergroups[gid] = group
        return group

    def set_group_members(self, handle: str, users: list[str]) -> None:
        with self._lock:
            self._group_by_handle(handle)["users"] = list(users)

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail (429 with Retry-After, or ok=false)."""
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(status, error, retry_after, times))

    def delay(self, method: str, seconds: float, *, then_fail: str | None = None) -> None:
        """Make the next call of `method` answer (and take effect) only after `seconds`, as a
        slow Slack does: the caller is stuck in it meanwhile. `then_fail`: answer that error
        instead, without effect (a call that timed out on Slack's side)."""
        with self._lock:
            self._delays.setdefault(method, []).append((seconds, then_fail))

    # ----------------------------------------------------------------- inspection
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Replies posted in the thread under `ts` (not the parent), oldest first."""
        with self._lock:
            return [
                m
                for m in self.messages
                if m.channel == channel
                and m.thread_ts == ts
                and m.ts != ts
                and m.ephemeral_for is None
            ]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = ""
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever a call arrives)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [f"{c.method} {json.dumps(c.args)[:200]}" for c in self.calls[-15:]]
                raise AssertionError(
                    f"timed out waiting for {what or predicate}; recent calls:\n"
                    + "\n".join(recent)
                )
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    # ----------------------------------------------------------------- Web API
    def _api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            delays = self._delays.get(method)
            pause, then_fail = delays.pop(0) if delays else (0.0, None)
        if pause:
            with self._changed:
                self.calls.append(Call(method, args, token))
                self._changed.notify_all()
            time.sleep(pause)
            if then_fail:
                return 200, {"ok": False, "error": then_fail}, {}
        with self._changed:
            self.calls.append(Call(method, args, token))
            self._changed.notify_all()
            faults = self._faults.get(method)
            if faults:
                fault = faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.pop(0)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                return fault.status, {"ok": False, "error": fault.error}, headers
            expected = self.app_token if method == "apps.connections.open" else self.bot_token
            if token is None:
                return 200, {"ok": False, "error": "not_authed"}, {}
            if token != expected:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            body = handler(args)
            self._changed.notify_all()
            return 200, body, {}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ids):06d}"

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "opsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self._ws_port}/link/?ticket={uuid.uuid4()}"}

    @staticmethod
    def _blocks(args: dict[str, Any]) -> list[dict[str, Any]]:
        blocks = args.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    @staticmethod
    def _limit_error(text: str, blocks: list[dict[str, Any]]) -> str | None:
        """Slack's own limits on a message: the error it answers with, or None when it fits."""
        if len(text) > MAX_TEXT_CHARS:
            return "msg_too_long"
        if len(blocks) > MAX_BLOCKS:
            return "invalid_blocks"
        for block in blocks:
            kind = block.get("type")
            body = block.get("text")
            body_text = body.get("text", "") if isinstance(body, dict) else ""
            too_long_or_empty = not 1 <= len(body_text) <= MAX_SECTION_CHARS
            if kind == "section" and body is not None and too_long_or_empty:
                return "invalid_blocks"
            if kind == "section" and any(
                len(f.get("text", "")) > MAX_FIELD_CHARS for f in block.get("fields") or []
            ):
                return "invalid_blocks"
            if kind == "header" and not 1 <= len(body_text) <= MAX_HEADER_CHARS:
                return "invalid_blocks"
        return None

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if self.channels.get(channel, {}).get("not_in_channel"):
            return {"ok": False, "error": "not_in_channel"}
        text, blocks = args.get("text") or "", self._blocks(args)
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if error := self._limit_error(text, blocks):
            return {"ok": False, "error": error}
        ts = self._next_ts()
        thread_ts = args.get("thread_ts") or None
        self.messages.append(Message(channel, ts, text, blocks, thread_ts))
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": text,
                "ts": ts,
                "blocks": blocks,
            },
        }

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        for m in self.messages:
            if (
                m.channel == args.get("channel")
                and m.ts == args.get("ts")
                and m.ephemeral_for is None
            ):
                new_blocks = self._blocks(args) if "blocks" in args else m.blocks
                if error := self._limit_error(args.get("text") or "", new_blocks):
                    return {"ok": False, "error": error}
                m.text = args.get("text") or m.text
                if "blocks" in args:
                    m.blocks = self._blocks(args)
                m.updates += 1
                return {"ok": True, "channel": m.channel, "ts": m.ts, "text": m.text}
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        if error := self._limit_error(args.get("text") or "", self._blocks(args)):
            return {"ok": False, "error": error}
        ts = self._next_ts()
        self.messages.append(
            Message(
                args["channel"],
                ts,
                args.get("text") or "",
                self._blocks(args),
                args.get("thread_ts"),
                ephemeral_for=args["user"],
            )
        )
        return {"ok": True, "message_ts": ts}

    def user_says(self, channel: str, ts: str) -> None:
        """Record a person's message (delivered as an event), so the bot may react to it."""
        with self._lock:
            self.user_messages.add((channel, ts))

    def _reaction_target(self, args: dict[str, Any]) -> tuple[str, str] | None:
        key = (str(args.get("channel", "")), str(args.get("timestamp", "")))
        known = self.message(*key) is not None or key in self.user_messages
        return key if known else None

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        key = self._reaction_target(args)
        if key is None:
            return {"ok": False, "error": "message_not_found"}
        name = str(args.get("name", ""))
        if name in self.reactions.setdefault(key, set()):
            return {"ok": False, "error": "already_reacted"}
        self.reactions[key].add(name)
        return {"ok": True}

    def _m_reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        key = self._reaction_target(args)
        if key is None:
            return {"ok": False, "error": "message_not_found"}
        name = str(args.get("name", ""))
        if name not in self.reactions.get(key, set()):
            return {"ok": False, "error": "no_reaction"}
        self.reactions[key].discard(name)
        return {"ok": True}

    def _m_usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        groups = [
            {
                "id": g["id"],
                "team_id": TEAM_ID,
                "handle": g["handle"],
                "name": g["name"],
                "is_usergroup": True,
                "date_delete": 0,
                "user_count": len(g["users"]),
            }
            for g in self.usergroups.values()
        ]
        return {"ok": True, "usergroups": groups}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(args.get("usergroup", ""))
        if group is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(group["users"])}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = args.get("channel", "")
        info = self.channels.get(cid) or {"name": cid.lower()}
        return {
            "ok": True,
            "channel": {
                "id": cid,
                "name": info.get("name"),
                "is_im": cid.startswith("D"),
                "is_channel": cid.startswith("C"),
            },
        }

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):06d}"
        self.uploads[file_id] = {
            "filename": args["filename"],
            "length": int(args["length"]),
            "content": None,
            "completed": False,
        }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        done = []
        for f in files:
            upload = self.uploads.get(f.get("id", ""))
            if upload is None or upload["content"] is None:
                return {"ok": False, "error": "file_not_found"}
            upload.update(
                completed=True,
                title=f.get("title"),
                channel=args.get("channel_id"),
                thread_ts=args.get("thread_ts"),
                initial_comment=args.get("initial_comment"),
            )
            done.append({"id": f["id"], "title": f.get("title"), "name": upload["filename"]})
        return {"ok": True, "files": done}

    def _store_upload(self, file_id: str, body: bytes) -> int:
        with self._changed:
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404
            upload["content"] = body
            self._changed.notify_all()
            return 200

    # ----------------------------------------------------------------- Socket Mode
    def _run_ws(self) -> None:
        loop = asyncio.new_event_loop()
        self._ws_loop = loop

        async def main() -> None:
            self._ws_stop = loop.create_future()
            async with serve(self._ws_session, "127.0.0.1", 0, ping_interval=None) as server:
                self._ws_port = next(iter(server.sockets)).getsockname()[1]
                self._ws_ready.set()
                await self._ws_stop

        loop.run_until_complete(main())
        loop.close()

    async def _ws_session(self, ws: ServerConnection) -> None:
        self._sockets.append(ws)
        await ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        try:
            async for raw in ws:
                with self._changed:
                    self.acks.append(json.loads(raw))
                    self._changed.notify_all()
        except Exception:  # the client went away; Slack just drops the socket too
            pass
        finally:
            self._sockets.remove(ws)

    @property
    def socket_connected(self) -> bool:
        return bool(self._sockets)

    def send_envelope(self, *, type: str, payload: dict[str, Any], retry_attempt: int = 0) -> str:
        """Push one Socket Mode envelope to every connected client; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        loop = self._ws_loop
        assert loop is not None and self._sockets, "no Socket Mode client is connected"
        data = json.dumps(envelope)
        for ws in list(self._sockets):
            asyncio.run_coroutine_threadsafe(ws.send(data), loop).result(5)
        return envelope_id

    def ack_for(self, envelope_id: str) -> dict[str, Any] | None:
        with self._lock:
            return next((a for a in self.acks if a.get("envelope_id") == envelope_id), None)


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path.startswith("/upload/"):
                self._reply(fake._store_upload(url.path.rsplit("/", 1)[-1], raw), {})
                return
            if url.path.startswith("/respond/"):
                with fake._changed:
                    fake.responses.append(json.loads(raw or b"{}"))
                    fake._changed.notify_all()
                self._reply(200, {"ok": True})
                return
            if not url.path.startswith("/api/"):
                self._reply(404, {"ok": False, "error": "not_found"})
                return
            args: dict[str, Any] = dict(parse_qsl(url.query))
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype and raw:
                args.update(json.loads(raw))
            elif raw:
                args.update(parse_qsl(raw.decode()))
            auth = self.headers.get("Authorization", "")
            token = (
                auth.removeprefix("Bearer ")
                if auth.startswith("Bearer ")
                else args.pop("token", None)
            )
            status, body, headers = fake._api(url.path.removeprefix("/api/"), args, token)
            self._reply(status, body, headers)

        do_GET = do_POST

    return Handler


# --------------------------------------------------------------------------- what Slack sends
class SlackSender:
    """Sends requests to a Bolt HTTP endpoint the way Slack does: signed over the exact bytes."""

    def __init__(self, url: str, *, signing_secret: str) -> None:
        self.url = url
        self.verifier = SignatureVerifier(signing_secret)

    def post(
        self,
        body: bytes,
        *,
        content_type: str = "application/json",
        timestamp: int | None = None,
        signature: str | None = None,
        signed: bool = True,
        retry_num: int | None = None,
    ) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type}
        if signed:
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature or self.verifier.generate_signature(
                timestamp=ts, body=body
            )
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> tuple[str, int]:
        body = event_body(event, event_id=event_id)
        status, _ = self.post(json.dumps(body).encode(), retry_num=retry_num)
        return body["event_id"], status

    def command(self, *, text: str, user: str, channel: str, response_url: str = "") -> int:
        form = command_payload(text=text, user=user, channel=channel, response_url=response_url)
        status, _ = self.post(
            urlencode(form).encode(), content_type="application/x-www-form-urlencoded"
        )
        return status


_event_ids = itertools.count(1)


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API `event_callback` envelope (the HTTP body and the Socket Mode payload)."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}{uuid.uuid4().hex[:6].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention(*, user: str, channel: str, text: str, ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"{time.time():.6f}"
    return {
        "type": "app_mention",
        "user": user,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "text": f"<@{BOT_USER_ID}> {text}",
        "team": TEAM_ID,
    }


def direct_message(*, user: str, channel: str, text: str) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "text": text,
        "team": TEAM_ID,
    }


def reaction(*, user: str, name: str, channel: str, ts: str, added: bool = True) -> dict[str, Any]:
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item_user": BOT_USER_ID,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def command_payload(
    *, text: str, user: str, channel: str, response_url: str = ""
) -> dict[str, str]:
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": "/ops",
        "text": text,
        "api_app_id": APP_ID,
        "response_url": response_url or "https://hooks.invalid/none",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{TEAM_ID}.{uuid.uuid4().hex}",
    }
