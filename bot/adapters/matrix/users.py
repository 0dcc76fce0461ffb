"""Matrix user ids -> Principal. The id is the policy's user id (`@alice:example.org`), so one
policy file governs Slack and Matrix users. Room power levels become policy groups only through
the explicit map OPSBOT_MATRIX_POWER_LEVEL_GROUPS (level -> group; off by default, like the
Slack group map): anyone with power can raise another's level, so it is an opt-in."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.models import Principal

PowerLevel = Callable[[str, str], int | None]
"""(room id, user id) -> the user's power level in that room, None when the room is unknown."""


class MatrixPrincipals:
    def __init__(self, *, power_level: PowerLevel, level_groups: Mapping[int, str]) -> None:
        self._power_level = power_level
        self._level_groups = dict(level_groups)

    def groups(self, user_id: str, *, room_id: str) -> frozenset[str]:
        """The policy groups this user has now in this room (current power levels)."""
        if not self._level_groups:
            return frozenset()
        level = self._power_level(room_id, user_id)
        if level is None:
            return frozenset()
        return frozenset(g for need, g in self._level_groups.items() if level >= need)

    def principal(self, user_id: str, *, room_id: str) -> Principal:
        return Principal(id=user_id, groups=self.groups(user_id, room_id=room_id))
