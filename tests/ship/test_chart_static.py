"""The chart without a cluster: helm lint, helm-docs comments, the schema, and the generated
files it reads (RBAC rules from the catalog, the default policy)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot import rbac
from bot.catalog import OPERATIONS
from tests.fixtures.ship import CHART, ROOT, helm_lint

INFO = 1  # helm's support.InfoSev; 2 = warning, 3 = error


def _values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return loaded


def test_chart_lints_clean() -> None:
    result = helm_lint()
    assert result["Errors"] is None, result
    messages = result["Messages"] or []
    above_info = [m for m in messages if m["Severity"] > INFO]
    assert above_info == [], above_info
    # the one remaining INFO is "icon is recommended" on Chart.yaml (there is no project icon)
    assert all(m["Path"] == "Chart.yaml" for m in messages), messages


@pytest.mark.parametrize(
    ("path", "content", "where"),
    [
        ("templates/service.yaml", "{{ .Values.service.type | nosuchfunc }}\n", "templates/"),
        ("values.yaml", "replicaCount: two\n", "values.yaml"),
    ],
    ids=["template-error", "values-violate-schema"],
)
def test_lint_fails_on_a_broken_chart(tmp_path: Path, path: str, content: str, where: str) -> None:
    broken = tmp_path / "opsbot"
    shutil.copytree(CHART, broken)
    target = broken / path
    if path == "values.yaml":
        content = target.read_text().replace("replicaCount: 2\n", content)
    target.write_text(content)
    result = helm_lint(broken)
    assert result["Errors"], result
    assert any(m["Severity"] > INFO and m["Path"].startswith(where) for m in result["Messages"])


def test_rbac_rules_file_is_generated_from_the_catalog() -> None:
    committed = (CHART / "files/rbac-rules.json").read_text()
    assert committed == rbac.render(), (
        "deploy/helm/opsbot/files/rbac-rules.json is stale: run `uv run python -m bot.rbac "
        "--write` and commit it"
    )
    data = json.loads(committed)
    assert data["kinds"] == list(OPERATIONS)
    for kind, rules in data["operations"].items():
        declared = {(n.api_group, n.resource, v) for n in OPERATIONS[kind].rbac for v in n.verbs}
        generated = {(r["apiGroups"][0], r["resources"][0], v) for r in rules for v in r["verbs"]}
        assert generated == declared, kind


def test_no_rule_anywhere_touches_secrets_or_wildcards() -> None:
    data = json.loads((CHART / "files/rbac-rules.json").read_text())
    all_rules = [r for rules in data["operations"].values() for r in rules]
    all_rules += data["namespaceSuggestions"]
    for rule in all_rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert not any(res.split("/")[0] == "secrets" for res in rule["resources"]), rule


def test_operations_enum_and_defaults_follow_the_catalog() -> None:
    enum = _schema()["properties"]["operations"]["properties"]["enabled"]["items"]["enum"]
    assert enum == list(OPERATIONS)
    assert _values()["operations"]["enabled"] == list(OPERATIONS)


def test_chart_default_policy_is_the_repository_default_policy() -> None:
    chart_copy = CHART / "files/policies/default.yaml"
    assert chart_copy.read_text() == (ROOT / "policies/default.yaml").read_text(), (
        "the chart's policy copy is stale: cp policies/default.yaml "
        "deploy/helm/opsbot/files/policies/default.yaml"
    )


def test_every_value_has_a_helm_docs_comment() -> None:
    """helm-docs: every leaf value (and every value holding a list/map default) has `# --`
    directly above it (continuation `#` lines allowed). Parents need none."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    keys: list[tuple[int, int, str]] = []  # (line number, indent, key)
    for number, line in enumerate(lines):
        match = re.match(r"^( *)([A-Za-z][A-Za-z0-9_]*):(.*)$", line)
        if match:
            keys.append((number, len(match.group(1)), match.group(2)))
    undocumented = []
    for index, (number, indent, key) in enumerate(keys):
        has_child = index + 1 < len(keys) and keys[index + 1][1] > indent
        above = number - 1
        while above >= 0 and lines[above].strip().startswith("#") and "# --" not in lines[above]:
            above -= 1
        documented = above >= 0 and lines[above].strip().startswith("# --")
        value = lines[number].split(":", 1)[1].strip()
        inside_documented_block = _inside_documented(keys, lines, index)
        if not documented and not inside_documented_block and (not has_child or value):
            undocumented.append(f"line {number + 1}: {key}")
    assert undocumented == [], f"values without a `# --` comment: {undocumented}"


def _inside_documented(keys: list[tuple[int, int, str]], lines: list[str], index: int) -> bool:
    """True when an ancestor key carries the `# --` comment (its default is a whole block)."""
    _, indent, _ = keys[index]
    for number, other_indent, _ in reversed(keys[:index]):
        if other_indent < indent:
            above = number - 1
            while above >= 0 and lines[above].strip().startswith("#"):
                if "# --" in lines[above]:
                    return True
                above -= 1
            indent = other_indent
    return False


def test_default_values_pass_the_schema() -> None:
    jsonschema.validate(_values(), _schema())


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"replicaCount": "two"}, "'two' is not of type 'integer'"),
        ({"replicaCount": 0}, "less than the minimum"),
        ({"replicas": 3}, "Additional properties are not allowed ('replicas'"),
        ({"rbac": {"scope": "everything"}}, "'everything' is not one of"),
        ({"operations": {"enabled": ["format_disk"]}}, "'format_disk' is not one of"),
        ({"slack": {"mode": "irc"}}, "'irc' is not one of"),
        ({"image": {"repository": "x", "tag": "1", "pullPolicy": "Sometimes"}}, "Sometimes"),
        ({"impersonation": {"enabled": "yes"}}, "'yes' is not of type 'boolean'"),
        ({"policies": {"files": {"prod.txt": "grants: []"}}}, "does not match"),
        ({"redis": {"url": "http://redis:6379"}}, "does not match"),
    ],
)
def test_schema_rejects_bad_values(change: dict[str, Any], complaint: str) -> None:
    values = {**_values(), **change}
    with pytest.raises(jsonschema.ValidationError) as err:
        jsonschema.validate(values, _schema())
    assert complaint in str(err.value)


def test_schema_forbids_unknown_keys_at_the_top_and_in_every_section() -> None:
    schema = _schema()
    assert schema["additionalProperties"] is False
    for name, section in schema["properties"].items():
        if section.get("type") == "object" and "properties" in section:
            assert section["additionalProperties"] is False, name
    assert set(schema["properties"]) - {"global"} == set(_values()), (
        "values.yaml and values.schema.json must describe the same top-level keys"
    )
