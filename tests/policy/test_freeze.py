"""Freeze windows: local wall-clock time across zones, DST changes and midnight wraps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.policy.freeze import active_until, describe_end
from bot.policy.model import Freeze


def freeze(**fields: Any) -> Freeze:
    return Freeze.model_validate({"actions": ["write"], "reason": "r", **fields})


WEEKEND = freeze(timezone="Europe/Berlin", weekly=[{"start": "Fri 16:00", "end": "Mon 08:00"}])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "frozen"),
    [
        ("2026-11-20T14:59:00Z", False),  # Fri 15:59 CET
        ("2026-11-20T15:00:00Z", True),  # Fri 16:00 CET
        ("2026-11-22T23:30:00Z", True),  # Mon 00:30 CET: after the wrap over Sunday midnight
        ("2026-11-23T06:59:59Z", True),  # Mon 07:59:59 CET
        ("2026-11-23T07:00:00Z", False),  # Mon 08:00 CET
        ("2026-07-17T13:59:00Z", False),  # Fri 15:59 CEST (summer: UTC+2)
        ("2026-07-17T14:00:00Z", True),  # Fri 16:00 CEST
        ("2026-07-20T05:59:00Z", True),  # Mon 07:59 CEST
        ("2026-07-20T06:00:00Z", False),  # Mon 08:00 CEST
        ("2026-11-20T16:30:00+01:00", True),  # same instant expressed in another offset
        ("2026-11-20T07:30:00-08:00", True),  # 16:30 in Berlin, asked from Los Angeles
    ],
)
def test_weekly_window_in_berlin(now: str, frozen: bool) -> None:
    assert (active_until(WEEKEND, at(now)) is not None) is frozen


def test_end_is_reported_in_the_freeze_zone_across_a_dst_change() -> None:
    # The weekend of 2026-10-23: DST ends on Sunday 25 Oct, so Monday 08:00 is CET (UTC+1).
    until = active_until(WEEKEND, at("2026-10-23T15:00:00Z"))  # Fri 17:00 CEST
    assert until is not None
    assert describe_end(until) == "Mon 2026-10-26 08:00 CET"
    assert until == at("2026-10-26T07:00:00Z")
    # And the spring change: Monday 08:00 after 29 March 2026 is CEST (UTC+2).
    spring = active_until(WEEKEND, at("2026-03-27T16:00:00Z"))
    assert spring == at("2026-03-30T06:00:00Z")


def test_daily_night_window_wraps_midnight_in_another_zone() -> None:
    nights = freeze(
        timezone="America/New_York",
        weekly=[{"start": "Tue 22:00", "end": "Wed 06:00"}],
    )
    assert active_until(nights, at("2026-11-18T03:00:00Z")) is not None  # Tue 22:00 EST
    assert active_until(nights, at("2026-11-18T02:59:00Z")) is None
    until = active_until(nights, at("2026-11-18T10:59:00Z"))  # Wed 05:59 EST
    assert until is not None and describe_end(until) == "Wed 2026-11-18 06:00 EST"
    assert active_until(nights, at("2026-11-18T11:00:00Z")) is None


def test_date_ranges_are_local_and_end_dates_inclusive() -> None:
    year_end = freeze(
        timezone="Asia/Tokyo",
        dates=[
            {"start": "2026-12-24", "end": "2026-12-26"},
            {"start": "2027-01-10 09:00", "end": "2027-01-10 17:30"},
        ],
    )
    assert active_until(year_end, at("2026-12-23T14:59:00Z")) is None  # Dec 23 23:59 JST
    assert active_until(year_end, at("2026-12-23T15:00:00Z")) is not None  # Dec 24 00:00 JST
    until = active_until(year_end, at("2026-12-26T14:00:00Z"))  # Dec 26 23:00 JST
    assert until is not None and describe_end(until) == "Sun 2026-12-27 00:00 JST"
    assert active_until(year_end, at("2027-01-10T00:00:00Z")) is not None  # 09:00 JST
    assert active_until(year_end, at("2027-01-10T08:30:00Z")) is None  # 17:30 JST


def test_dates_with_explicit_offset_and_yaml_dates() -> None:
    from datetime import date

    explicit = freeze(dates=[{"start": "2026-12-24T00:00:00+00:00", "end": date(2026, 12, 24)}])
    assert active_until(explicit, at("2026-12-24T23:59:00Z")) is not None
    assert active_until(explicit, at("2026-12-25T00:00:00Z")) is None


def test_overlapping_windows_report_the_latest_end() -> None:
    both = freeze(
        timezone="UTC",
        weekly=[{"start": "Fri 16:00", "end": "Sat 00:00"}],
        dates=[{"start": "2026-11-20 12:00", "end": "2026-11-22 12:00"}],
    )
    until = active_until(both, at("2026-11-20T17:00:00Z"))
    assert until == at("2026-11-22T12:00:00Z")


def test_full_day_names_and_unpadded_hours_are_accepted() -> None:
    window = freeze(weekly=[{"start": "Saturday 0:00", "end": "Sunday 23:59"}])
    assert active_until(window, at("2026-11-21T00:00:00Z")) is not None
    assert active_until(window, at("2026-11-22T23:59:00Z")) is None
