"""Chat-agnostic request and identity models shared by adapters and the service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Principal(BaseModel):
    """Who is acting: a chat user id plus the groups the chat platform or policy gives them."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    name: str | None = None
    groups: frozenset[str] = frozenset()

    @property
    def display(self) -> str:
        return self.name or self.id


class MessageRef(BaseModel):
    """Where a message lives: platform, channel and message id (Slack: ts)."""

    model_config = ConfigDict(frozen=True)

    platform: str = "console"
    channel: str
    ts: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.channel}:{self.ts}"


class Request(BaseModel):
    """One request from chat. `event_id` is the idempotency key of the incoming event."""

    model_config = ConfigDict(frozen=True)

    principal: Principal
    text: str = Field(max_length=4000)
    source: str = "console"
    channel: str = "console"
    thread: str | None = None
    event_id: str | None = None
    delivery: str | None = None
    """The work-queue entry that carries the event (bot/workqueue): the owner of its
    idempotency claim, so the same entry re-handled after its worker died may act on it again
    while another delivery of the same event may not. None outside a queue."""
