"""Time helpers shared by the approval stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def to_epoch(moment: datetime) -> float:
    """Seconds since the epoch; a naive datetime is taken as UTC (never as local time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def to_micros(moment: datetime) -> int:
    """Whole microseconds since the epoch, exactly (no float rounding): event times compare
    by this integer, and it fits a Lua/Redis double exactly (< 2**53)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
