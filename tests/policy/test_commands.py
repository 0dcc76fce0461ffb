"""`policy check` and `policy test`, on the shipped policy and on broken copies of it."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

from bot.policy import cli as commands
from tests.policy.support import POLICIES, write


def run(command: Callable[..., int], path: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = command(path, out=out)
    return code, out.getvalue()


def copy_policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def test_shipped_policy_passes_check() -> None:
    code, text = run(commands.check_command, POLICIES)
    assert code == 0
    # incident-commander is a chat group (OPSBOT_SLACK_GROUP_MAP); check says so until mapped
    assert text.splitlines() == [
        "warning: group 'incident-commander' (default.yaml:freezes[0].exempt_groups "
        "[rule 'weekend-freeze'], default.yaml:freezes[1].exempt_groups [rule 'year-end-freeze'])"
        " has no members in groups: and no chat group maps to it, so it never matches",
        f"{POLICIES}/: OK (1 file, 20 rules)",
    ]
    out = io.StringIO()
    mapped = frozenset({"incident-commander"})
    assert commands.check_command(POLICIES, out=out, chat_groups=mapped) == 0
    assert out.getvalue().strip() == f"{POLICIES}/: OK (1 file, 20 rules)"


def test_shipped_policy_passes_its_tests_with_at_least_20_cases() -> None:
    code, text = run(commands.test_command, POLICIES)
    assert code == 0, text
    lines = text.strip().splitlines()
    passes = [line for line in lines if line.startswith("PASS ")]
    assert len(passes) >= 20
    assert not any(line.startswith("FAIL") for line in lines)
    assert lines[-1] == f"{len(passes)} passed, 0 failed"


def test_tests_folder_and_single_test_file_are_accepted() -> None:
    assert run(commands.test_command, POLICIES / "tests")[0] == 0
    assert run(commands.test_command, POLICIES / "tests" / "default_test.yaml")[0] == 0


def test_misspelled_key_fails_check_naming_file_and_key(tmp_path: Path) -> None:
    target = copy_policies(tmp_path)
    default = target / "default.yaml"
    default.write_text(default.read_text().replace("expires_after: 30m", "expires_afterr: 30m"))
    code, text = run(commands.check_command, target)
    assert code == 1
    assert f"{default}:" in text
    assert "approvals[1].expires_afterr: unknown key (did you mean 'expires_after'?)" in text
    assert "[rule 'prod-changes']" in text


def test_mutated_expectation_fails_test_command(tmp_path: Path) -> None:
    target = copy_policies(tmp_path)
    cases = target / "tests" / "default_test.yaml"
    original = cases.read_text()
    expectation = 'reason: "no grant lets bob run scale_deployment in namespace prod"}'
    mutated = original.replace(
        "{outcome: deny, " + expectation, "{outcome: needs_approval, " + expectation
    )
    assert mutated != original
    cases.write_text(mutated)
    code, text = run(commands.test_command, target)
    assert code == 1
    assert "FAIL " in text and "devs may not scale in prod" in text
    assert "expected needs_approval, got deny" in text
    assert text.strip().splitlines()[-1].endswith(" passed, 1 failed")


def test_mutated_policy_fails_its_tests(tmp_path: Path) -> None:
    target = copy_policies(tmp_path)
    default = target / "default.yaml"
    default.write_text(default.read_text().replace("max: {replicas: 20}", "max: {replicas: 200}"))
    code, text = run(commands.test_command, target)
    assert code == 1
    assert "FAIL" in text and "prod replicas are capped at 20" in text


def test_broken_policy_fails_every_case(tmp_path: Path) -> None:
    target = copy_policies(tmp_path)
    (target / "extra.yaml").write_text("grants:\n  - {users: [x], actions: [raed]}\n")
    code, text = run(commands.test_command, target)
    assert code == 1
    assert "is invalid" in text and "unknown action 'raed'" in text
    assert text.strip().splitlines()[-1].startswith("0 passed, ")


def test_invalid_case_file_names_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "grants:\n  - {users: ['*'], actions: [read]}\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    write(
        tests,
        """
        cases:
          - name: c
            requester: {user: a}
            plan: [{operation: list_pods}]
            expect: {outcom: allow}
        """,
        name="t.yaml",
    )
    code, text = run(commands.test_command, tmp_path)
    assert code == 1
    assert f"{tests / 't.yaml'}:6: cases[0].expect.outcom: unknown key" in text
    assert "did you mean 'outcome'" in text


def test_invalid_plan_in_a_case_fails_that_case(tmp_path: Path) -> None:
    write(tmp_path, "grants:\n  - {users: ['*'], actions: [read]}\n")
    tests = tmp_path / "tests"
    tests.mkdir()
    write(
        tests,
        """
        now: 2026-11-18T10:00:00Z
        cases:
          - name: bad op
            requester: {user: a}
            plan: [{operation: list_podz}]
            expect: {outcome: allow}
          - name: good
            requester: {user: a}
            plan: [{operation: list_pods}]
            expect: {outcome: allow, reason: allowed}
        """,
        name="t.yaml",
    )
    code, text = run(commands.test_command, tmp_path)
    assert code == 1
    assert "FAIL" in text and "invalid plan" in text
    assert "1 passed, 1 failed" in text


def test_case_file_can_point_at_another_policy(tmp_path: Path) -> None:
    policy = write(tmp_path, "grants:\n  - {users: ['*'], actions: [read]}\n", name="p.yaml")
    case = write(
        tmp_path,
        f"""
        policy: {policy.name}
        cases:
          - name: reads
            requester: {{user: a}}
            now: 2026-11-18T10:00:00+01:00
            plan: [{{operation: list_pods}}]
            expect: {{outcome: allow}}
        """,
        name="cases.yaml",
    )
    assert run(commands.test_command, case) == (
        0,
        f"PASS {case}: cases[0] reads\n1 passed, 0 failed\n",
    )


def test_naive_now_in_a_case_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "grants:\n  - {users: ['*'], actions: [read]}\n")
    (tmp_path / "tests").mkdir()
    write(
        tmp_path / "tests",
        "cases:\n  - {name: n, requester: {user: a}, now: '2026-11-18 10:00',"
        " plan: [{operation: list_pods}], expect: {outcome: allow}}\n",
        name="t.yaml",
    )
    code, text = run(commands.test_command, tmp_path)
    assert code == 1
    assert "cases[0].now: needs a UTC offset" in text


def test_no_test_files_is_a_failure(tmp_path: Path) -> None:
    code, text = run(commands.test_command, tmp_path)
    assert code == 1
    assert "no policy test files" in text


def test_check_warns_about_granted_writes_without_approval_rule(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        groups: {alice: [sre], bob: [dev]}
        grants:
          - {name: devs, groups: [dev], actions: [read, scale_deployment, delete_pod]}
        approvals:
          - {actions: [scale_deployment], approver_groups: [sre]}
        """,
    )
    code, text = run(commands.check_command, tmp_path)
    assert code == 0
    assert text.splitlines() == [
        "warning: grant 'devs' lets people request delete_pod, but no approval rule covers it,"
        " so such requests are always denied",
        f"{tmp_path}/: OK (1 file, 2 rules)",
    ]


def test_case_files_are_never_skipped_silently(tmp_path: Path) -> None:
    target = copy_policies(tmp_path)
    tests = target / "tests"
    (tests / "default_test.yaml").rename(tests / "default_test.YAML")
    code, text = run(commands.test_command, target)
    assert code == 0, text  # the uppercase extension is read
    (tests / "more").mkdir()
    code, text = run(commands.test_command, target)
    assert code == 1
    assert text.splitlines()[0].startswith(f"ERROR {tests / 'more'}: a folder inside")
    assert text.splitlines()[-1].endswith(" passed, 1 failed")
