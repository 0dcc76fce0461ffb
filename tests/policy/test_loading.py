"""Loading and validating policy files: every error names the file, line, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import PolicyError, load_policy
from tests.policy.support import write

MINIMAL = """
grants:
  - name: everyone-reads
    users: ["*"]
    actions: [read]
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value.problems


def test_misspelled_key_names_file_line_rule_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        approvals:
          - name: first
            actions: [write]
            approver_groups: [sre]
          - name: prod-writes
            actions: [write]
            approver_groups: [sre]
            expires_afterr: 30m
        """,
        name="default.yaml",
    )
    (line,) = problems(path)
    assert line.startswith(f"{path}:9: approvals[1].expires_afterr: unknown key")
    assert "(did you mean 'expires_after'?)" in line
    assert "[rule 'prod-writes']" in line


def test_misspelled_top_level_section(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "grantz: []\n"))
    assert ": grantz: unknown key (did you mean 'grants'?)" in line


def test_unknown_action_with_suggestion(tmp_path: Path) -> None:
    (line,) = problems(
        write(tmp_path, 'grants:\n  - {users: ["*"], actions: [read, scale_deploy]}\n')
    )
    assert "grants[0].actions[1]: unknown action 'scale_deploy'" in line
    assert "did you mean 'scale_deployment'" in line


def test_bad_timezone(tmp_path: Path) -> None:
    (line,) = problems(
        write(
            tmp_path,
            """
            freezes:
              - name: weekend
                actions: [write]
                timezone: Europe/Berln
                weekly: [{start: "Fri 16:00", end: "Mon 08:00"}]
                reason: weekend
            """,
        )
    )
    assert "freezes[0].timezone: unknown time zone 'Europe/Berln'" in line
    assert "[rule 'weekend']" in line


@pytest.mark.parametrize("duration", ["30x", "", "m30", "1.5h", "0s"])
def test_bad_duration(tmp_path: Path, duration: str) -> None:
    rule = f"{{actions: [write], approver_groups: [sre], expires_after: '{duration}'}}"
    text = f"approvals:\n  - {rule}\n"
    (line,) = problems(write(tmp_path, text))
    assert "approvals[0]" in line
    assert "expires_after" in line


def test_good_durations_set_the_expiry(tmp_path: Path) -> None:
    text = "approvals:\n  - {actions: [write], approver_groups: [sre], expires_after: 1h30m}\n"
    policy = load_policy(write(tmp_path, text))
    assert policy.approvals[0].rule.ttl_seconds == 5400


@pytest.mark.parametrize("pattern", ["team-[a]", "", "a b", "prod,staging"])
def test_bad_glob(tmp_path: Path, pattern: str) -> None:
    text = f'grants:\n  - {{users: ["*"], actions: [read], namespaces: ["{pattern}"]}}\n'
    (line,) = problems(write(tmp_path, text))
    assert "grants[0].namespaces[0]: bad pattern" in line


def test_bad_weekly_time_and_empty_window(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            """
            freezes:
              - {actions: [write], reason: a, weekly: [{start: "Fry 16:00", end: "Mon 08:00"}]}
              - {actions: [write], reason: b, weekly: [{start: "Fri 16:00", end: "Fri 16:00"}]}
              - {actions: [write], reason: c}
            """,
        )
    )
    assert any("freezes[0].weekly[0].start: bad weekly time 'Fry 16:00'" in p for p in found)
    assert any("freezes[1].weekly[0]" in p and "empty" in p for p in found)
    assert any("freezes[2]" in p and "needs 'weekly' and/or 'dates'" in p for p in found)


def test_date_window_must_end_after_start(tmp_path: Path) -> None:
    (line,) = problems(
        write(
            tmp_path,
            """
            freezes:
              - actions: [write]
                reason: x
                dates: [{start: "2026-12-24 10:00", end: "2026-12-24 09:00"}]
            """,
        )
    )
    assert "freezes[0].dates: end" in line


def test_limit_parameter_must_exist(tmp_path: Path) -> None:
    (line,) = problems(
        write(tmp_path, "limits:\n  - {actions: [scale_deployment], max: {replicass: 3}}\n")
    )
    assert "limits[0].max.replicass: not an integer parameter" in line
    assert "did you mean 'replicas'" in line


def test_rules_that_could_never_work_are_errors(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            """
            grants:
              - {actions: [read]}
            approvals:
              - {actions: [write]}
              - {actions: [write], approver_users: [carol], count: 2}
              - {actions: [write], approver_groups: [sre], count: 11}
              - {actions: [write], approver_groups: [sre], expires_after: 10s}
            """,
        )
    )
    text = "\n".join(found)
    assert "grants[0]: a grant needs 'users' or 'groups'" in text
    assert "approvals[0]: an approval rule needs 'approver_groups' or 'approver_users'" in text
    assert "approvals[1]: count 2 can never be met" in text
    assert "approvals[2].count" in text
    assert "approvals[3]: expires_after '10s' must be between 30s and 7d" in text


def test_all_problems_of_all_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "grants:\n  - {users: [a], actions: [nope]}\n", name="a.yaml")
    write(tmp_path, "denies:\n  - {actions: [write], reasn: x}\n", name="b.yaml")
    found = problems(tmp_path)
    assert any(p.startswith(f"{tmp_path / 'a.yaml'}:2: grants[0].actions[0]") for p in found)
    assert any(
        p.startswith(f"{tmp_path / 'b.yaml'}:2: denies[0].reasn: unknown key") for p in found
    )


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "grants:\n  - {users: [a], actions: [read]\n"))
    assert line.startswith(f"{tmp_path / 'policy.yaml'}:")
    assert "YAML syntax error" in line


def test_duplicate_yaml_keys_are_rejected(tmp_path: Path) -> None:
    text = MINIMAL + "grants:\n  - {users: [a], actions: [write]}\n"
    (line,) = problems(write(tmp_path, text))
    assert "duplicate key 'grants'" in line


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "- grants\n"))
    assert "top level must be a mapping" in line


def test_duplicate_rule_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, name="a.yaml")
    write(tmp_path, MINIMAL, name="b.yaml")
    (line,) = problems(tmp_path)
    assert "duplicate rule name 'everyone-reads'" in line
    assert "b.yaml" in line


def test_missing_path_and_empty_folder_fail(tmp_path: Path) -> None:
    (missing,) = problems(tmp_path / "nope")
    assert "no such file or folder" in missing
    (empty,) = problems(tmp_path)
    assert "no *.yaml policy files" in empty


def test_folder_merges_files_and_ignores_tests_subfolder(tmp_path: Path) -> None:
    write(tmp_path, "groups: {alice: [sre]}\n" + MINIMAL, name="10-base.yaml")
    write(
        tmp_path,
        "groups: {alice: [oncall], bob: [dev]}\n"
        "approvals:\n  - {actions: [write], approver_groups: [sre]}\n",
        name="20-approvals.yml",
    )
    (tmp_path / "tests").mkdir()
    write(tmp_path / "tests", "cases: [not, a, policy]\n", name="x_test.yaml")
    policy = load_policy(tmp_path)
    assert [p.name for p in policy.files] == ["10-base.yaml", "20-approvals.yml"]
    assert policy.rule_count == 2
    assert policy.groups == {"alice": frozenset({"sre", "oncall"}), "bob": frozenset({"dev"})}
    assert policy.approvals[0].label == "20-approvals.yml:approvals[0]"


def test_conflicting_default_context_between_files(tmp_path: Path) -> None:
    write(tmp_path, "default_context: prod\n", name="a.yaml")
    write(tmp_path, "default_context: staging\n", name="b.yaml")
    (line,) = problems(tmp_path)
    assert "default_context differs between files" in line


def test_empty_file_is_a_policy_without_rules(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, ""))
    assert policy.rule_count == 0


def test_empty_scope_lists_are_rejected(tmp_path: Path) -> None:
    # an empty list would make a deny silently match nothing
    text = "denies:\n  - {actions: [write], namespaces: [], reason: x}\n"
    (line,) = problems(write(tmp_path, text))
    assert "denies[0].namespaces: List should have at least 1 item" in line
