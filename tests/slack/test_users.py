"""Slack user groups -> Principal.groups through the real WebClient and the fake Web API.

Only user groups named in OPSBOT_SLACK_GROUP_MAP become policy groups (anyone may be able to
edit Slack user groups, so a handle alone must never grant approval rights)."""

from __future__ import annotations

from bot.adapters.slack.setup import make_web_client
from bot.adapters.slack.users import UserDirectory
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.slack_fake import group_map_of, slack_settings


def _directory(
    fake: FakeSlack, now: list[float], *, group_map: dict[str, str] | None = None
) -> UserDirectory:
    return UserDirectory(
        make_web_client(slack_settings(fake)),
        group_map=group_map_of(fake) if group_map is None else group_map,
        ttl_seconds=60,
        clock=lambda: now[0],
    )


def _rename(fake: FakeSlack, handle: str, *, to: str) -> str:
    """An admin (or any member allowed to) renames a user group in Slack; returns its id."""
    with fake._lock:
        group = next(g for g in fake.usergroups.values() if g["handle"] == handle)
        group["handle"] = to
        return str(group["id"])


def test_mapped_groups_become_policy_groups_and_are_cached(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("UBOTH", name="zoe", groups=("sre", "dba"))
    now = [1000.0]
    users = _directory(fake_slack, now)  # every group mapped by id to its handle
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


def test_an_empty_map_gives_no_slack_group_any_rights(fake_slack: FakeSlack) -> None:
    users = _directory(fake_slack, [0.0], group_map={})
    assert users.principal("USRE1").groups == frozenset()
    assert fake_slack.calls_to("usergroups.list") == []  # nothing to read


def test_unmapped_groups_give_no_rights(fake_slack: FakeSlack) -> None:
    users = _directory(fake_slack, [0.0], group_map=group_map_of(fake_slack, "dev"))
    assert users.groups("USRE1") == frozenset()  # @sre exists in Slack but is not mapped
    assert users.groups("UDEV1") == frozenset({"dev"})
    read = {c.args.get("usergroup") for c in fake_slack.calls_to("usergroups.users.list")}
    assert read == set(group_map_of(fake_slack, "dev"))  # unmapped members are never read


def test_mapping_by_id_survives_a_rename_and_names_the_policy_group(
    fake_slack: FakeSlack,
) -> None:
    sre_id = next(iter(group_map_of(fake_slack, "sre")))
    now = [0.0]
    users = _directory(fake_slack, now, group_map={sre_id: "approvers"})
    assert users.groups("USRE1") == frozenset({"approvers"})  # the policy's name, not Slack's
    _rename(fake_slack, "sre", to="sre-oncall")
    now[0] += 61
    assert users.groups("USRE1") == frozenset({"approvers"})


def test_a_group_named_like_a_policy_group_gains_nothing(fake_slack: FakeSlack) -> None:
    """Mallory creates @approvers (the policy group's name) and later takes over the handle
    @sre after the real group is renamed: with the map keyed by id, neither counts."""
    sre_id = next(iter(group_map_of(fake_slack, "sre")))
    now = [0.0]
    users = _directory(fake_slack, now, group_map={sre_id: "sre"})
    fake_slack.add_user("UMAL", name="mallory", groups=("approvers", "mallory-fans"))
    assert users.groups("UMAL") == frozenset()
    _rename(fake_slack, "sre", to="sre-old")
    _rename(fake_slack, "mallory-fans", to="sre")
    now[0] += 61
    assert users.groups("UMAL") == frozenset()
    assert users.groups("USRE1") == frozenset({"sre"})


def test_a_handle_key_follows_the_handle_wherever_it_goes(fake_slack: FakeSlack) -> None:
    """Why ids are preferred: a map keyed by handle trusts whoever holds the handle now."""
    now = [0.0]
    users = _directory(fake_slack, now, group_map={"@SRE": "sre", "S0614TZR7": "dba"})
    assert users.groups("USRE1") == frozenset({"sre"})  # "@" and case do not matter
    fake_slack.add_user("UMAL", name="mallory", groups=("mallory-fans",))
    _rename(fake_slack, "sre", to="sre-old")
    _rename(fake_slack, "mallory-fans", to="sre")
    now[0] += 61
    assert users.groups("UMAL") == frozenset({"sre"})
    assert users.groups("USRE1") == frozenset()
