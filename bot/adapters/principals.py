"""One PrincipalResolver for a process serving several chat platforms with one service.

The service re-reads every requester's and voter's platform groups through one resolver. User
ids say their platform: Matrix ids are `@localpart:server` (Slack ids never start with `@`).
A Matrix principal keeps the groups its front end read from the room's power levels at the
event (as in a Matrix-only process); every other id goes to the Slack resolver.
"""

from __future__ import annotations

from bot.models import Principal
from bot.service.ports import PrincipalResolver


def is_matrix_user_id(user_id: str) -> bool:
    return user_id.startswith("@") and ":" in user_id


class PrincipalsByPlatform:
    def __init__(self, *, slack: PrincipalResolver) -> None:
        self.slack = slack

    def current(self, principal: Principal) -> Principal:
        if is_matrix_user_id(principal.id):
            return principal
        return self.slack.current(principal)
