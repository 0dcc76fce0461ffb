"""What the receiver needs from a chat platform (the Slack adapter implements it). Everything
in these views that came from an alert is untrusted text: the sink escapes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.replies import Reply


@dataclass(frozen=True)
class AlertLine:
    name: str
    status: str
    labels: dict[str, str]
    summary: str


@dataclass(frozen=True)
class AlertGroupView:
    """One alert group as its chat message shows it."""

    title: str
    status: str  # firing | resolved
    firing: int
    resolved: int
    alerts: list[AlertLine] = field(default_factory=list)
    more: int = 0  # alerts not listed


@dataclass(frozen=True)
class EvidenceItem:
    title: str  # e.g. "describe pod web-1 -n prod"
    text: str  # redacted, bounded output, or why it is missing


class AlertSink(Protocol):
    def post_group(self, channel: str, view: AlertGroupView) -> str:
        """Post the group's message; returns its id (Slack: ts)."""
        ...

    def update_group(self, channel: str, ts: str, view: AlertGroupView) -> None: ...

    def post_evidence(self, channel: str, thread_ts: str, items: list[EvidenceItem]) -> None: ...

    def post_note(self, channel: str, thread_ts: str, text: str) -> None:
        """A short plain note in the thread (the sink escapes it)."""
        ...

    def post_reply(self, reply: Reply, *, channel: str, thread_ts: str) -> str:
        """Post a service reply in the thread; a preview is bound to its approval there."""
        ...

    def mark_fix_unneeded(self, channel: str, ts: str, note: str) -> None:
        """Show on a still-pending preview that its alert resolved (it stays approvable)."""
        ...
