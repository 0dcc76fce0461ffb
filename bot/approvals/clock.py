"""Time helpers shared by the approval stores."""

from __future__ import annotations

from datetime import UTC, datetime


def to_epoch(moment: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC (never as local time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
