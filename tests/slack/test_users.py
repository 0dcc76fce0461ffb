"""Slack user groups -> Principal.groups through the real WebClient and the fake Web API."""

from __future__ import annotations

from bot.adapters.slack.setup import make_web_client
from bot.adapters.slack.users import UserDirectory
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.slack_fake import slack_settings


def _directory(fake: FakeSlack, now: list[float]) -> UserDirectory:
    return UserDirectory(
        make_web_client(slack_settings(fake)), ttl_seconds=60, clock=lambda: now[0]
    )


def test_groups_come_from_usergroup_handles_and_are_cached(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("UBOTH", name="zoe", groups=("sre", "dba"))
    now = [1000.0]
    users = _directory(fake_slack, now)
    alice = users.principal("USRE1")
    assert alice.groups == frozenset({"sre"}) and alice.name == "alice"
    assert users.principal("UBOTH").groups == frozenset({"sre", "dba"})
    assert users.principal("UNOBODY").groups == frozenset()
    lists = len(fake_slack.calls_to("usergroups.list"))
    assert lists == 1  # one refresh served every lookup
    assert len(fake_slack.calls_to("usergroups.users.list")) == len(fake_slack.usergroups)

    fake_slack.set_group_members("sre", ["USRE2"])  # alice leaves @sre
    now[0] += 30
    assert "sre" in users.groups("USRE1")  # still cached
    now[0] += 31
    assert users.groups("USRE1") == frozenset()  # TTL passed: re-read from Slack
    assert len(fake_slack.calls_to("usergroups.list")) == 2


def test_slack_errors_keep_the_last_known_groups_or_fail_closed(fake_slack: FakeSlack) -> None:
    now = [0.0]
    fresh = _directory(fake_slack, now)
    fake_slack.fail("usergroups.list", error="missing_scope")
    assert fresh.groups("USRE1") == frozenset()  # nothing known: no groups, votes do not count

    warm = _directory(fake_slack, now)
    assert warm.groups("USRE1") == frozenset({"sre"})
    now[0] += 61
    fake_slack.fail("usergroups.list", status=500, error="fatal_error")
    assert warm.groups("USRE1") == frozenset({"sre"})  # last known membership kept


def test_unknown_user_has_no_name(fake_slack: FakeSlack) -> None:
    users = _directory(fake_slack, [0.0])
    principal = users.principal("UGHOST")
    assert principal.name is None and principal.display == "UGHOST"
