"""The README's Helm sections match the chart: values it sets exist, its example values pass
the schema and load with the bot's loaders, and its RBAC table is what bot.rbac derives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot import metrics, rbac
from bot.catalog import OPERATIONS
from tests.fixtures.ship import CHART, ROOT, deep_merge

SECTIONS = (
    "## Install with Helm",
    "## Configuring policies and schedules",
    "## Upgrading",
    "## Security model (details)",
)


def _section(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    assert heading in text, f"README.md lacks the section {heading!r}"
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def _values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded


def _has_path(values: dict[str, Any], dotted: str) -> bool:
    node: Any = values
    for part in re.split(r"(?<!\\)\.", dotted):
        part = part.replace("\\.", ".")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_value_the_readme_sets_exists_in_the_chart() -> None:
    text = "".join(_section(h) for h in SECTIONS)
    keys = re.findall(r"--set(?:-file)? ([A-Za-z0-9_.\\]+)=", text)
    keys += re.findall(r"`((?:[a-z][A-Za-z]*\.)+[a-z][A-Za-z]*)=", text)
    assert len(keys) >= 5, keys
    missing = [k for k in keys if not _has_path(_values(), k)]
    assert missing == [], f"README sets values the chart does not have: {missing}"
    table_keys = re.findall(r"^\| `([a-zA-Z.]+)`", _section(SECTIONS[0]), re.MULTILINE)
    assert table_keys and all(_has_path(_values(), k) for k in table_keys), table_keys


def test_secret_keys_in_the_install_steps_are_the_chart_defaults() -> None:
    used = set(re.findall(r"--from-literal=([a-z-]+)=", _section(SECTIONS[0])))
    defaults = set(_values()["existingSecret"]["keys"].values())
    assert used and used <= defaults, (used, defaults)


def test_example_values_files_pass_the_schema_and_load(tmp_path: Path) -> None:
    from bot.policy import load_policy
    from bot.reports.schedules import parse_reports_config

    schema = json.loads((CHART / "values.schema.json").read_text())
    blocks = re.findall(r"```yaml\n(# my-values.yaml\n.*?)```", _section(SECTIONS[1]), re.DOTALL)
    assert len(blocks) == 2, blocks
    for block in blocks:
        example = yaml.safe_load(block)
        jsonschema.validate(deep_merge(_values(), example), schema)
        for name, content in example.get("policies", {}).get("files", {}).items():
            (tmp_path / name).write_text(content)
            assert load_policy(tmp_path).rule_count > 0
        if "reports" in example:
            parse_reports_config(yaml.safe_dump(example["reports"]["config"]))


def test_security_table_is_the_derived_rbac() -> None:
    rows = re.findall(
        r"^\| `([\w.]+)` \| `([a-z/]+)` \| ([a-z, ]+) \|", _section(SECTIONS[3]), re.MULTILINE
    )
    documented = [
        {"apiGroups": ["" if g == "core" else g], "resources": [r], "verbs": v.split(", ")}
        for g, r, v in rows
    ]
    derived = rbac.rules_for(list(OPERATIONS))
    assert documented == derived.namespaced + derived.cluster


def test_metric_names_in_the_readme_are_the_exported_ones() -> None:
    listed = set(re.findall(r"`(opsbot_[a-z_]+)(?:\{[a-z,]+\})?`", _section(SECTIONS[0])))
    assert listed == set(metrics.METRIC_NAMES)
