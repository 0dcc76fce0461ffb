"""When a change freeze is active, and until when.

Weekly windows compare local wall-clock time in the freeze's zone, so 'Fri 16:00 Europe/Berlin'
means 16:00 on the Berlin clock in summer and in winter alike (DST-safe), and a window may wrap
over Sunday midnight (Fri 16:00 -> Mon 08:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.policy.model import Freeze, week_minute

_WEEK = 7 * 1440


def active_until(freeze: Freeze, now: datetime) -> datetime | None:
    """The end (aware, in the freeze's zone) of the window active at `now`, or None."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    zone = freeze.zone
    local = now.astimezone(zone)
    ends: list[datetime] = []
    minute = local.weekday() * 1440 + local.hour * 60 + local.minute
    for window in freeze.weekly:
        start, end = week_minute(window.start), week_minute(window.end)
        inside = start <= minute < end if start < end else minute >= start or minute < end
        if inside:
            ahead = (end - minute) % _WEEK
            wall = local.replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=ahead)
            ends.append(wall.replace(tzinfo=zone))
    for dates in freeze.dates:
        start_at, end_at = dates.bounds(zone)
        if start_at <= now < end_at:
            ends.append(end_at.astimezone(zone))
    return max(ends) if ends else None


def describe_end(moment: datetime) -> str:
    """'Mon 2026-11-23 08:00 CET' — local to the freeze's zone, as the policy author wrote it."""
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")
