"""Slack user groups -> Principal.groups, cached with a TTL.

A vote counts only when policy admits the voter's groups, so group membership is read from
Slack itself (usergroups.list + usergroups.users.list) by group handle ("sre" for @sre).
On a Slack error the last good membership is kept; with none, users have no groups (their
votes count for nothing: fail closed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.models import Principal

log = logging.getLogger("opsbot.slack.users")


class UserDirectory:
    def __init__(
        self,
        client: WebClient,
        *,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: dict[str, frozenset[str]] = {}  # user id -> handles
        self._groups_at: float | None = None
        self._names: dict[str, tuple[str | None, float]] = {}

    def principal(self, user_id: str) -> Principal:
        return Principal(id=user_id, name=self.name(user_id), groups=self.groups(user_id))

    def groups(self, user_id: str) -> frozenset[str]:
        with self._lock:
            fresh = self._groups_at is not None and self._clock() - self._groups_at < self._ttl
            if not fresh:
                self._refresh_groups()
            return self._groups.get(user_id, frozenset())

    def invalidate(self) -> None:
        with self._lock:
            self._groups_at = None
            self._names.clear()

    def _refresh_groups(self) -> None:
        """Caller holds the lock, so concurrent events wait for one refresh instead of each
        starting their own."""
        try:
            listed = self._client.usergroups_list(include_disabled=False)
            membership: dict[str, set[str]] = {}
            for group in listed.get("usergroups") or []:
                handle = group.get("handle")
                if not handle or group.get("date_delete"):
                    continue
                users = self._client.usergroups_users_list(usergroup=group["id"])
                for uid in users.get("users") or []:
                    membership.setdefault(uid, set()).add(handle)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not read Slack user groups (keeping the last known): %s", exc)
            if self._groups_at is None:
                self._groups = {}
            self._groups_at = self._clock() - self._ttl + min(30.0, self._ttl)  # retry soon
            return
        self._groups = {uid: frozenset(h) for uid, h in membership.items()}
        self._groups_at = self._clock()

    def name(self, user_id: str) -> str | None:
        with self._lock:
            cached = self._names.get(user_id)
            if cached is not None and self._clock() - cached[1] < self._ttl:
                return cached[0]
        name: str | None = None
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
            profile = user.get("profile") or {}
            name = profile.get("display_name") or user.get("real_name") or user.get("name")
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("users.info failed for %s: %s", user_id, exc)
        with self._lock:
            self._names[user_id] = (name, self._clock())
        return name
