"""Slack user groups -> Principal.groups, cached with a TTL.

A vote counts only when policy admits the voter's groups. In many workspaces every member may
create and edit user groups, so a Slack group never becomes a policy group by its name: only
the user groups named in `group_map` (OPSBOT_SLACK_GROUP_MAP: user group id or handle -> policy
group) do. Ids are preferred: they never change, while a handle can be renamed and a freed
handle taken by someone else. An empty map means no Slack group counts (the policy's static
`groups:` still apply).
On a Slack error the last good membership is kept; with none, users have no groups (their
votes count for nothing: fail closed).
It is also the service's PrincipalResolver (`current`): approvals are counted and re-evaluated
with the membership as it is now (cached for OPSBOT_SLACK_GROUPS_CACHE_SECONDS, and the last
known one while Slack cannot be reached), never with the groups read when someone asked or voted.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.models import Principal

log = logging.getLogger("opsbot.slack.users")

_USERGROUP_ID = re.compile(r"S[A-Z0-9]{5,}")  # "S0614TZR7"; handles are lowercase


class UserDirectory:
    def __init__(
        self,
        client: WebClient,
        *,
        group_map: Mapping[str, str] | None = None,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        # keys as Slack shows them: "S0123ABCD" ids, handles with or without the leading "@".
        # An id key matches only a group's id, so no handle can ever pose as an id.
        self._by_id: dict[str, str] = {}
        self._by_handle: dict[str, str] = {}
        for key, name in (group_map or {}).items():
            key = key.strip()
            if _USERGROUP_ID.fullmatch(key):
                self._by_id[key] = name
            else:
                self._by_handle[key.removeprefix("@").lower()] = name
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: dict[str, frozenset[str]] = {}  # user id -> policy group names
        self._groups_at: float | None = None
        self._names: dict[str, tuple[str | None, float]] = {}

    def principal(self, user_id: str) -> Principal:
        return Principal(id=user_id, name=self.name(user_id), groups=self.groups(user_id))

    def current(self, principal: Principal) -> Principal:
        """`principal` with the policy groups its Slack user groups give it now."""
        groups = self.groups(principal.id)
        return (
            principal
            if groups == principal.groups
            else principal.model_copy(update={"groups": groups})
        )

    def groups(self, user_id: str) -> frozenset[str]:
        with self._lock:
            fresh = self._groups_at is not None and self._clock() - self._groups_at < self._ttl
            if not fresh:
                self._refresh_groups()
            return self._groups.get(user_id, frozenset())

    def _refresh_groups(self) -> None:
        """Caller holds the lock, so concurrent events wait for one refresh instead of each
        starting their own."""
        if not self._by_id and not self._by_handle:
            self._groups, self._groups_at = {}, self._clock()
            return
        try:
            listed = self._client.usergroups_list(include_disabled=False)
            membership: dict[str, set[str]] = {}
            for group in listed.get("usergroups") or []:
                if group.get("date_delete"):
                    continue
                names = self.policy_groups_of(group)
                if not names:
                    continue  # an unmapped group grants nothing: do not even read its members
                users = self._client.usergroups_users_list(usergroup=group["id"])
                for uid in users.get("users") or []:
                    membership.setdefault(uid, set()).update(names)
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not read Slack user groups (keeping the last known): %s", exc)
            if self._groups_at is None:
                self._groups = {}
            self._groups_at = self._clock() - self._ttl + min(30.0, self._ttl)  # retry soon
            return
        self._groups = {uid: frozenset(h) for uid, h in membership.items()}
        self._groups_at = self._clock()

    def policy_groups_of(self, group: Mapping[str, object]) -> set[str]:
        """The policy groups a Slack user group stands for: by its id, and by its handle."""
        names = set()
        gid, handle = group.get("id"), group.get("handle")
        if isinstance(gid, str) and gid in self._by_id:
            names.add(self._by_id[gid])
        if isinstance(handle, str) and handle.lower() in self._by_handle:
            names.add(self._by_handle[handle.lower()])
        return names

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
