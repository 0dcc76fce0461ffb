"""A policy that cannot match is an error, never silence (issue 9 section 5).

Each test is an attack on the policy loader: a rule, a file or a value that used to load
cleanly and then silently never matched (or was silently skipped or coerced).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.policy import PolicyError, check_command, load_engine_or_deny, load_policy, loader
from bot.policy.decision import Outcome
from tests.policy.support import decide, who, write

GRANT_AND_APPROVE = """
grants:
  - {name: sre-operates, groups: [sre], actions: ["*"]}
approvals:
  - {name: one-sre, actions: [write, destructive], approver_groups: [sre]}
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value.problems


def check(path: Path, **known: frozenset[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = check_command(path, out=out, **known)
    return code, out.getvalue()


def delete_pod(namespace: str) -> dict[str, str]:
    return {"operation": "delete_pod", "namespace": namespace, "name": "x"}


# -- namespace, context and host patterns ------------------------------------------------------


@pytest.mark.parametrize("pattern", ["Kube-System", "kube_system", "kube-system/"])
def test_namespace_pattern_no_namespace_can_match_is_an_error_with_hint(
    tmp_path: Path, pattern: str
) -> None:
    path = write(
        tmp_path,
        GRANT_AND_APPROVE
        + f"""
denies:
  - name: protect-kube-system
    actions: [write, destructive]
    namespaces: ["{pattern}"]
    reason: GitOps only
""",
    )
    (line,) = problems(path)
    assert line.startswith(f"{path}:10: denies[0].namespaces[0]: ")
    assert f"{pattern!r} can never match a namespace" in line
    assert "(did you mean 'kube-system'?)" in line
    assert line.endswith("[rule 'protect-kube-system']")
    # the bot fails closed with that error instead of letting the delete reach approval
    decision = decide(load_engine_or_deny(path), who("alice", "sre"), delete_pod("kube-system"))
    assert decision.outcome == Outcome.DENY
    assert pattern in decision.reasons[0]


def test_correct_namespace_deny_matches(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GRANT_AND_APPROVE
        + "denies:\n  - {actions: [destructive], namespaces: [kube-system], reason: GitOps}\n",
    )
    decision = decide(load_engine_or_deny(path), who("alice", "sre"), delete_pod("kube-system"))
    assert decision.outcome == Outcome.DENY
    assert decision.reasons == ["denied by 'policy.yaml:denies[0]': GitOps"]


@pytest.mark.parametrize(
    ("field", "pattern"),
    [
        ("except_namespaces", "Kube-System"),  # a carve-out that never carves widens a grant
        ("namespaces", "-team"),  # a label never starts with '-'
        ("namespaces", "team-"),  # ... nor ends with it
        ("namespaces", "team.prod"),  # labels have no dots
        ("namespaces", "a" * 64),  # at most 63 characters
        ("namespaces", "?" * 64),
    ],
)
def test_impossible_namespace_patterns(tmp_path: Path, field: str, pattern: str) -> None:
    text = f'grants:\n  - {{name: r, users: ["*"], actions: [read], {field}: ["{pattern}"]}}\n'
    (line,) = problems(write(tmp_path, text))
    assert f"grants[0].{field}[0]: {pattern!r} can never match a namespace" in line
    assert "DNS-1123 label" in line


@pytest.mark.parametrize("pattern", ["*", "team-*", "*-prod", "t?am", "*-*", "a" * 63, "x*y"])
def test_possible_namespace_patterns_load(tmp_path: Path, pattern: str) -> None:
    text = f'grants:\n  - {{users: ["*"], actions: [read], namespaces: ["{pattern}"]}}\n'
    assert load_policy(write(tmp_path, text)).grants[0].rule.namespaces == [pattern]


@pytest.mark.parametrize("field", ["contexts", "hosts", "except_contexts", "except_hosts"])
def test_context_and_host_patterns_longer_than_any_name_are_errors(
    tmp_path: Path, field: str
) -> None:
    pattern = "c" * 129  # context and Docker host names are at most 128 characters
    text = f'grants:\n  - {{users: ["*"], actions: [read], {field}: ["{pattern}"]}}\n'
    (line,) = problems(write(tmp_path, text))
    assert f"grants[0].{field}[0]: " in line
    assert "can never match" in line


@pytest.mark.parametrize("pattern", ["", " ", "prod eu"])
def test_empty_or_whitespace_context_patterns_are_errors(tmp_path: Path, pattern: str) -> None:
    text = f'grants:\n  - {{users: ["*"], actions: [read], contexts: ["{pattern}"]}}\n'
    (line,) = problems(write(tmp_path, text))
    assert "grants[0].contexts[0]: bad pattern" in line


@pytest.mark.parametrize("value", ["prod eu", " ", "x" * 129])
def test_default_context_must_be_a_possible_context_name(tmp_path: Path, value: str) -> None:
    (line,) = problems(write(tmp_path, f'default_context: "{value}"\n'))
    assert "default_context: " in line
    assert "not a possible context name" in line


def test_host_pattern_matching_no_configured_host_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GRANT_AND_APPROVE
        + 'denies:\n  - {name: no-prod-stops, actions: [stop_container], hosts: ["prdo-*"],'
        " reason: x}\n",
    )
    code, text = check(path, docker_hosts=frozenset({"default", "prod-1"}))
    assert code == 0
    assert (
        "warning: policy.yaml:denies[0].hosts [rule 'no-prod-stops']: 'prdo-*' matches none of "
        "the configured Docker hosts (default, prod-1)"
    ) in text


# -- users and groups ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ('{users: ["bob*"], actions: [read]}', "grants[0].users[0]", "exact ids"),
        ('{groups: ["sre-*"], actions: [read]}', "grants[0].groups[0]", "exact"),
        ('{groups: [" sre"], actions: [read]}', "grants[0].groups[0]", "whitespace"),
    ],
)
def test_subject_lists_are_exact_names(tmp_path: Path, rule: str, field: str, message: str) -> None:
    (line,) = problems(write(tmp_path, f"grants:\n  - {rule}\n"))
    assert f"{field}: " in line
    assert message in line


@pytest.mark.parametrize(
    ("section", "rule", "field"),
    [
        ("approvals", "{actions: [write], approver_users: ['*']}", "approver_users[0]"),
        ("denies", "{actions: [write], reason: x, exempt_users: ['*']}", "exempt_users[0]"),
        ("denies", "{actions: [write], reason: x, exempt_groups: ['*']}", "exempt_groups[0]"),
    ],
)
def test_star_where_it_means_nothing_is_an_error(
    tmp_path: Path, section: str, rule: str, field: str
) -> None:
    (line,) = problems(write(tmp_path, f"{section}:\n  - {rule}\n"))
    assert f"{section}[0].{field}: '*' is not supported here" in line


def test_static_group_names_are_exact_names(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "groups:\n  alice: ['sre ']\n"))
    assert "groups.alice[0]: " in line
    assert "whitespace" in line


def test_group_nobody_can_be_in_is_reported_by_check(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        groups: {alice: [sre]}
        grants:
          - {name: sre-operates, groups: [sre], actions: ["*"]}
        approvals:
          - {name: prod, actions: [write, destructive], approver_groups: [sre-oncall]}
        """,
    )
    code, text = check(path)
    assert code == 0
    assert (
        "warning: group 'sre-oncall' (policy.yaml:approvals[0].approver_groups [rule 'prod']) "
        "has no members in groups: and no chat group maps to it, so it never matches"
    ) in text
    # a chat mapping (OPSBOT_SLACK_GROUP_MAP) to the group makes it reachable
    code, text = check(path, chat_groups=frozenset({"sre-oncall"}))
    assert code == 0
    assert "warning" not in text


# -- files in a policy folder ---------------------------------------------------------------------


def test_uppercase_extension_is_loaded(tmp_path: Path) -> None:
    write(tmp_path, GRANT_AND_APPROVE, name="a.yaml")
    write(tmp_path, "denies:\n  - {name: b, actions: [destructive], reason: x}\n", name="b.YAML")
    policy = load_policy(tmp_path)
    assert [p.name for p in policy.files] == ["a.yaml", "b.YAML"]
    assert [d.label for d in policy.denies] == ["b"]


def test_subfolder_is_an_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, GRANT_AND_APPROVE, name="a.yaml")
    (tmp_path / "prod").mkdir()
    write(tmp_path / "prod", "denies: []\n", name="deny.yaml")
    (line,) = problems(tmp_path)
    assert line.startswith(f"{tmp_path / 'prod'}: a folder inside the policy folder")


def test_folder_named_like_a_policy_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, GRANT_AND_APPROVE, name="a.yaml")
    (tmp_path / "x.yaml").mkdir()
    (line,) = problems(tmp_path)
    assert line.startswith(f"{tmp_path / 'x.yaml'}: a folder inside the policy folder")


def test_dangling_symlink_is_an_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, GRANT_AND_APPROVE, name="a.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "gone.yaml")
    (line,) = problems(tmp_path)
    assert line.startswith(f"{tmp_path / 'b.yaml'}: a link to")
    assert "which does not exist" in line


def test_other_files_are_errors_naming_them(tmp_path: Path) -> None:
    write(tmp_path, GRANT_AND_APPROVE, name="a.yaml")
    write(tmp_path, "denies: []\n", name="b.yaml.disabled")
    (line,) = problems(tmp_path)
    assert line.startswith(f"{tmp_path / 'b.yaml.disabled'}: not a policy file")


def test_configmap_layout_readme_and_tests_are_the_only_things_ignored(tmp_path: Path) -> None:
    # a Kubernetes ConfigMap volume: files are links into a hidden ..data folder
    data = tmp_path / "..2026_01_01_00_00_00.1"
    data.mkdir()
    write(data, GRANT_AND_APPROVE, name="default.yaml")
    (tmp_path / "..data").symlink_to(data.name)
    (tmp_path / "default.yaml").symlink_to("..data/default.yaml")
    write(tmp_path, "# docs\n", name="README.md")
    (tmp_path / "tests").mkdir()
    policy = load_policy(tmp_path)
    assert [p.name for p in policy.files] == ["default.yaml"]
    assert policy.rule_count == 2


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", "true", "Input should be a valid integer"),
        ("count", '"2"', "Input should be a valid integer"),
        ("allow_self_approval", '"true"', "Input should be a valid boolean"),
        ("expires_after", "30", "a duration needs a unit"),
    ],
)
def test_values_are_not_coerced(tmp_path: Path, field: str, value: str, message: str) -> None:
    text = f"approvals:\n  - {{actions: [write], approver_groups: [sre], {field}: {value}}}\n"
    (line,) = problems(write(tmp_path, text))
    assert f"approvals[0].{field}: " in line
    assert message in line


def test_quoted_limit_is_not_coerced(tmp_path: Path) -> None:
    text = "limits:\n  - {actions: [scale_deployment], max: {replicas: '20'}}\n"
    (line,) = problems(write(tmp_path, text))
    assert "limits[0].max.replicas: Input should be a valid integer" in line


def test_yaml_boolean_words_get_a_quoting_hint(tmp_path: Path) -> None:
    text = 'grants:\n  - {users: ["*"], actions: [read], namespaces: [no]}\n'
    (line,) = problems(write(tmp_path, text))
    assert "grants[0].namespaces[0]: " in line
    assert "YAML reads" in line and "quote it" in line


def test_merge_keys_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        approvals:
          - &prod
            name: prod
            actions: [write]
            namespaces: [prod]
            approver_groups: [sre]
            count: 2
          - <<: *prod
            name: staging
            namespaces: [staging]
        """,
    )
    staging = load_policy(path).approvals[1]
    assert staging.label == "staging"
    assert staging.rule.namespaces == ["staging"]
    assert staging.rule.count == 2


def test_merge_key_errors_name_the_line_of_the_local_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        approvals:
          - &prod {name: prod, actions: [write], approver_groups: [sre]}
          - <<: *prod
            name: staging
            namespaces: [Staging]
        """,
    )
    (line,) = problems(path)
    assert line.startswith(f"{path}:6: approvals[1].namespaces[0]: 'Staging' can never match")


def test_merging_a_non_mapping_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "approvals:\n  - &x [a]\n  - <<: *x\n    actions: [write]\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}:3: ")
    assert "'<<' (merge key) needs a mapping" in line


def test_huge_file_gets_a_size_error_before_parsing(tmp_path: Path) -> None:
    limit = loader.MAX_POLICY_FILE_BYTES
    path = tmp_path / "big.yaml"
    path.write_text("[" * (limit + 1), encoding="utf-8")  # unparsable too
    (line,) = problems(path)
    assert line == (
        f"{path}: {limit + 1} bytes is larger than the "
        f"{limit} bytes a policy file may have; split it into several files"
    )


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "grants: " + "[" * 50_000 + "]" * 50_000 + "\n")
    (line,) = problems(path)
    assert "nested too deeply" in line


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 10)}]")
    path = write(tmp_path, "groups:\n" + "\n".join("  " + lv for lv in levels) + "\n")
    (line,) = problems(path)
    assert "anchors and aliases expand to more than 100000 values" in line


# -- the check command ----------------------------------------------------------------------------


def test_check_prints_every_problem_and_fails(tmp_path: Path) -> None:
    write(
        tmp_path,
        'denies:\n  - {actions: [write], namespaces: ["Kube-System"], reason: x}\n',
        name="a.yaml",
    )
    write(tmp_path, "approvals:\n  - {actions: [write], approver_groups: [sre], count: true}\n")
    (tmp_path / "sub").mkdir()
    code, text = check(tmp_path)
    assert code == 1
    lines = text.splitlines()
    assert len(lines) == 4
    # entries that are not loaded come first, then each file's problems in file order
    assert lines[0].startswith(f"{tmp_path / 'sub'}: a folder inside the policy folder")
    assert "denies[0].namespaces[0]: 'Kube-System' can never match" in lines[1]
    assert "approvals[0].count: Input should be a valid integer" in lines[2]
    assert lines[3] == f"{tmp_path}: 3 problem(s); nothing is allowed until fixed"
