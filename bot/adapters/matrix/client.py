"""matrix-nio, wrapped to what the front end needs: log in, send (with the thread relation),
edit, react, upload, join, leave with a reason. 429 M_LIMIT_EXCEEDED is retried by nio after
the server's retry_after_ms (`max_limit_exceeded`, counted in `rate_limited`); connection errors
are retried with backoff. A send is retried with the same transaction id, so the homeserver
stores it once however often it is retried (tests/matrix/test_matrix_rate_limits.py)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinError,
    LoginError,
    RoomLeaveResponse,
    RoomSendError,
    UploadError,
    WhoamiError,
)

from bot.config import Settings

log = logging.getLogger("opsbot.matrix.client")

MAX_RATE_LIMIT_RETRIES = 20


class MatrixError(Exception):
    """The homeserver refused a call (after nio's retries)."""


class MatrixSettingsError(ValueError):
    pass


def check_settings(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("MATRIX_HOMESERVER", settings.matrix_homeserver),
            ("MATRIX_USER_ID", settings.matrix_user_id),
        )
        if not value
    ]
    if settings.matrix_access_token is None and settings.matrix_password is None:
        missing.append("MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD")
    if missing:
        raise MatrixSettingsError("Matrix needs " + ", ".join(missing))


def thread_relation(root: str, reply_to: str | None = None) -> dict[str, Any]:
    return {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": reply_to or root},
    }


class MatrixClient:
    def __init__(self, nio: AsyncClient) -> None:
        self.nio = nio
        self.rate_limited = 0  # 429 answers nio waited out (retry_after_ms) and retried
        nio.add_response_callback(self._on_error, ErrorResponse)

    async def _on_error(self, resp: ErrorResponse) -> None:
        if resp.status_code in ("M_LIMIT_EXCEEDED", 429):
            self.rate_limited += 1
            log.info("rate limited by the homeserver; retrying after %s ms", resp.retry_after_ms)

    @classmethod
    def from_settings(cls, settings: Settings) -> MatrixClient:
        check_settings(settings)
        assert settings.matrix_homeserver is not None and settings.matrix_user_id is not None
        config = AsyncClientConfig(
            max_limit_exceeded=MAX_RATE_LIMIT_RETRIES,
            max_timeouts=None,  # keep reconnecting; the sync loop logs each failure
            encryption_enabled=False,  # see README: encrypted rooms are refused
            store_sync_tokens=False,  # the since-token lives in our state (Redis)
        )
        return cls(AsyncClient(settings.matrix_homeserver, settings.matrix_user_id, config=config))

    @property
    def user_id(self) -> str:
        return str(self.nio.user_id)

    async def login(self, settings: Settings) -> None:
        if settings.matrix_access_token is not None:
            self.nio.access_token = settings.matrix_access_token.get_secret_value()
            who = await self.nio.whoami()
            if isinstance(who, WhoamiError):
                raise MatrixError(f"MATRIX_ACCESS_TOKEN was not accepted: {who.message}")
            self.nio.user_id = who.user_id
            self.nio.device_id = who.device_id
            return
        assert settings.matrix_password is not None
        resp = await self.nio.login(
            password=settings.matrix_password.get_secret_value(), device_name="opsbot"
        )
        if isinstance(resp, LoginError):
            raise MatrixError(f"login as {settings.matrix_user_id} failed: {resp.message}")

    async def join(self, room: str) -> str:
        resp = await self.nio.join(room)
        if isinstance(resp, JoinError):
            raise MatrixError(f"cannot join {room}: {resp.message}")
        return str(resp.room_id)

    async def leave(self, room_id: str, *, reason: str) -> None:
        """Leave, or decline an invite, with a reason the inviter sees (nio's room_leave takes
        none, so the request is built from its Api path)."""
        method, path = Api.room_leave(self.nio.access_token, room_id)
        resp = await self.nio._send(RoomLeaveResponse, method, path, json.dumps({"reason": reason}))
        if not isinstance(resp, RoomLeaveResponse):
            log.warning("leaving %s failed: %s", room_id, getattr(resp, "message", resp))

    async def send(
        self, room_id: str, content: dict[str, Any], *, kind: str = "m.room.message"
    ) -> str:
        if kind == "m.room.message" and "m.mentions" not in content:
            # the bot mentions nobody unless it says so: an "@room" or a name quoted from
            # untrusted text (logs, alerts, a model's answer) pings no one
            content = {**content, "m.mentions": {}}
        resp = await self.nio.room_send(room_id, kind, content, ignore_unverified_devices=True)
        if isinstance(resp, RoomSendError):
            raise MatrixError(f"sending {kind} to {room_id} failed: {resp.message}")
        return str(resp.event_id)

    async def edit(self, room_id: str, event_id: str, content: dict[str, Any]) -> str:
        edit = {
            **content,
            "body": "* " + str(content.get("body", "")),
            "m.new_content": content,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        }
        if "formatted_body" in content:
            edit["formatted_body"] = "* " + str(content["formatted_body"])
        return await self.send(room_id, edit)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self.send(room_id, content, kind="m.reaction")

    async def upload(self, room_id: str, *, filename: str, text: str, thread_root: str) -> str:
        data = text.encode()
        resp, _ = await self.nio.upload(
            io.BytesIO(data), content_type="text/plain", filename=filename, filesize=len(data)
        )
        if isinstance(resp, UploadError):
            raise MatrixError(f"upload of {filename} failed: {resp.message}")
        return await self.send(
            room_id,
            {
                "msgtype": "m.file",
                "body": filename,
                "filename": filename,
                "url": resp.content_uri,
                "info": {"mimetype": "text/plain", "size": len(data)},
                "m.relates_to": thread_relation(thread_root),
            },
        )

    def power_level(self, room_id: str, user_id: str) -> int | None:
        room = self.nio.rooms.get(room_id)
        if room is None:
            return None
        return int(room.power_levels.get_user_level(user_id))

    def is_direct(self, room_id: str) -> bool:
        room = self.nio.rooms.get(room_id)
        return room is not None and int(room.joined_count) == 2

    async def close(self) -> None:
        await self.nio.close()
