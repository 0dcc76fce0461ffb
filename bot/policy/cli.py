"""`opsbot policy check PATH` and `opsbot policy test PATH` (the CLI wires these in).

PATH may be a policy folder (policies/), a single policy file, a tests folder or one test file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bot.catalog import OPERATIONS, Risk
from bot.models import Principal
from bot.plan import Plan
from bot.policy.case_file import Case, CaseFile, Expect
from bot.policy.decision import Decision
from bot.policy.engine import PolicyEngine
from bot.policy.loader import (
    SECTIONS,
    Labeled,
    Policy,
    PolicyError,
    format_error,
    load_policy,
    policy_files,
    read_yaml,
)
from bot.policy.patterns import ANY, glob_match, parse_duration


def check_command(
    path: Path,
    *,
    out: TextIO,
    chat_groups: frozenset[str] = frozenset(),
    docker_hosts: frozenset[str] | None = None,
) -> int:
    """Validate; print 'policies/: OK (3 files, 12 rules)' or every problem. 0 ok, 1 not.

    `chat_groups`: policy groups the chat platform can report (OPSBOT_SLACK_GROUP_MAP values);
    `docker_hosts`: the configured Docker host aliases, None when unknown (not checked).
    """
    try:
        policy = load_policy(path)
    except PolicyError as err:
        for problem in err.problems:
            print(problem, file=out)
        print(f"{path}: {len(err.problems)} problem(s); nothing is allowed until fixed", file=out)
        return 1
    for warning in lint(policy, chat_groups=chat_groups, docker_hosts=docker_hosts):
        print(f"warning: {warning}", file=out)
    files = len(policy.files)
    shown = f"{path}/" if path.is_dir() else str(path)
    print(
        f"{shown}: OK ({files} file{'s' * (files != 1)}, {policy.rule_count} rules)",
        file=out,
    )
    return 0


def lint(
    policy: Policy,
    *,
    chat_groups: frozenset[str] = frozenset(),
    docker_hosts: frozenset[str] | None = None,
) -> list[str]:
    """Valid but probably unintended: granted writes no approval rule covers, groups nobody
    can be in, host patterns no configured Docker host matches."""
    return [
        *_uncovered_writes(policy),
        *_unreachable_groups(policy, chat_groups),
        *(_unmatched_hosts(policy, docker_hosts) if docker_hosts is not None else []),
    ]


def _uncovered_writes(policy: Policy) -> list[str]:
    covered = set().union(*(a.kinds for a in policy.approvals))
    out: list[str] = []
    for grant in policy.grants:
        writes = sorted(k for k in grant.kinds if OPERATIONS[k].risk != Risk.READ)
        missing = [k for k in writes if k not in covered]
        if missing:
            out.append(
                f"grant '{grant.label}' lets people request {', '.join(missing)}, but no "
                "approval rule covers it, so such requests are always denied"
            )
    return out


_GROUP_FIELDS = ("groups", "exempt_groups", "approver_groups")


def _unreachable_groups(policy: Policy, chat_groups: frozenset[str]) -> list[str]:
    """Groups rules name that no static member has and no chat group maps to."""
    known = set(chat_groups).union(*policy.groups.values())
    uses: dict[str, list[str]] = {}
    for rule in _all_rules(policy):
        for field in _GROUP_FIELDS:
            for group in getattr(rule.rule, field, ()):
                if group != ANY and group not in known:
                    uses.setdefault(group, []).append(rule.where(field))
    return [
        f"group '{group}' ({', '.join(where)}) has no members in groups: and no chat group "
        "maps to it, so it never matches"
        for group, where in uses.items()
    ]


def _unmatched_hosts(policy: Policy, hosts: frozenset[str]) -> list[str]:
    known = ", ".join(sorted(hosts))
    return [
        f"{rule.where(field)}: {pattern!r} matches none of the configured Docker hosts ({known})"
        for rule in _all_rules(policy)
        for field in ("hosts", "except_hosts")
        for pattern in getattr(rule.rule, field)
        if not any(glob_match(pattern, host) for host in hosts)
    ]


def _all_rules(policy: Policy) -> list[Labeled[Any]]:
    return [rule for section in SECTIONS for rule in getattr(policy, section)]


def test_command(path: Path, *, out: TextIO) -> int:
    """Run every case; print PASS/FAIL per case and 'N passed, M failed'. 0 when all pass."""
    test_files, skipped = _test_files(path)
    if not test_files and not skipped:
        print(f"{path}: no policy test files found (expected tests/*.yaml)", file=out)
        return 1
    passed = failed = 0
    for problem in skipped:
        print(f"ERROR {problem}", file=out)
        failed += 1
    engines: dict[Path, PolicyEngine | PolicyError] = {}
    for file in test_files:
        loaded = _load_cases(file)
        if isinstance(loaded, list):
            for problem in loaded:
                print(f"ERROR {problem}", file=out)
            failed += 1
            continue
        policy_path = _policy_path(path, file, loaded)
        if policy_path not in engines:
            try:
                engines[policy_path] = PolicyEngine(load_policy(policy_path))
            except PolicyError as err:
                engines[policy_path] = err
        engine = engines[policy_path]
        if isinstance(engine, PolicyError):
            print(f"ERROR {file}: policy {policy_path} is invalid:\n{engine}", file=out)
            failed += len(loaded.cases)
            continue
        for index, case in enumerate(loaded.cases):
            problems = run_case(engine, case, now=case.now or loaded.now)
            label = f"{file}: cases[{index}] {case.name}"
            if problems:
                failed += 1
                print(f"FAIL {label}", file=out)
                for problem in problems:
                    print(f"     {problem}", file=out)
            else:
                passed += 1
                print(f"PASS {label}", file=out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def run_case(engine: PolicyEngine, case: Case, *, now: datetime | None) -> list[str]:
    """The differences between the decision and the case's expectation (empty: pass)."""
    try:
        plan = Plan.model_validate({"steps": case.plan})
    except ValidationError as err:
        first = err.errors()[0]
        return [f"invalid plan: {'.'.join(map(str, first['loc']))}: {first['msg']}"]
    requester = Principal(id=case.requester.user, groups=frozenset(case.requester.groups))
    decision = engine.evaluate(plan, requester, now=now or datetime.now(UTC))
    return compare(decision, case.expect)


def compare(decision: Decision, expect: Expect) -> list[str]:
    got = decision.outcome
    problems: list[str] = []
    if got != expect.outcome:
        problems.append(f"expected {expect.outcome.value}, got {got.value}")
    requirements = decision.requirements
    if expect.approvals is not None:
        count = max((r.count for r in requirements), default=0)
        if count != expect.approvals:
            problems.append(f"expected {expect.approvals} approvals, got {count}")
    if expect.approver_groups is not None:
        groups = set().union(*(r.approver_groups for r in requirements))
        if groups != set(expect.approver_groups):
            problems.append(
                f"expected approver groups {sorted(expect.approver_groups)}, got {sorted(groups)}"
            )
    if expect.self_approval is not None:
        self_ok = any(r.allow_self_approval for r in requirements)
        if self_ok != expect.self_approval:
            problems.append(f"expected self_approval {expect.self_approval}, got {self_ok}")
    if expect.expires_after is not None:
        want = int(parse_duration(expect.expires_after).total_seconds())
        if decision.ttl_seconds != want:
            problems.append(f"expected expiry {want}s, got {decision.ttl_seconds}s")
    if expect.reason is not None and not any(
        expect.reason.lower() in r.lower() for r in decision.reasons
    ):
        problems.append(f"no reason contains {expect.reason!r}")
    if expect.rule is not None:
        rules = {r.rule for r in requirements} | {
            m for s in decision.steps for m in s.matched_rules
        }
        if expect.rule not in rules:
            problems.append(f"rule {expect.rule!r} did not match (matched: {sorted(rules)})")
    if problems:
        problems.append(f"decision reasons: {decision.reasons}")
    return problems


def _test_files(path: Path) -> tuple[list[Path], list[str]]:
    """The case files, and a problem for each folder entry that is not one (never skipped)."""
    if path.is_file():
        return [path], []
    if not path.is_dir():
        return [], []
    return policy_files(path / "tests" if (path / "tests").is_dir() else path)


def _policy_path(given: Path, file: Path, cases: CaseFile) -> Path:
    """The `policy:` key (relative to the test file), else the folder above tests/."""
    if cases.policy is not None:
        return (file.parent / cases.policy).resolve()
    if given.is_dir() and (given / "tests").is_dir():
        return given
    return file.parent.parent


def _load_cases(file: Path) -> CaseFile | list[str]:
    loaded = read_yaml(file)
    if isinstance(loaded, list):
        return [problem.replace(": ", ": cannot read test cases: ", 1) for problem in loaded]
    data, node = loaded
    if not isinstance(data, dict):
        return [f"{file}: the top level must be a mapping with a 'cases:' list"]
    try:
        return CaseFile.model_validate(data)
    except ValidationError as err:
        return [format_error(file, e, data, node, CaseFile) for e in err.errors()]
