"""Routing and runbook files: Alertmanager matcher semantics and file:line problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.receivers.alertmanager.matchers import parse_matcher
from tests.fixtures.ship import ROOT


def test_regex_matchers_are_anchored_like_alertmanager() -> None:
    m = parse_matcher('namespace=~"prod"')
    assert m.matches({"namespace": "prod"})
    assert not m.matches({"namespace": "prod-eu"})
    assert not m.matches({"namespace": "xprod"})
    assert parse_matcher('severity!~"info|debug"').matches({"severity": "critical"})
    assert parse_matcher('team!="a"').matches({})  # absent label is ""
    assert parse_matcher("team=").matches({})
    with pytest.raises(ValueError, match="bad regular expression"):
        parse_matcher('x=~"("')


def test_alerts_check_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        "routes:\n  - name: a\n    channel: C1\n    runbooks: [nope]\n    chanel: C2\n"
        "unrouted: drop\n"
    )
    runbooks = tmp_path / "runbooks.yaml"
    runbooks.write_text(
        "runbooks:\n  - name: r\n    alertname: X\n    operation: rollback_deployment\n"
        "    params: {name: {label: deployment}}\n"
    )
    assert main(["alerts", "check", str(routing), str(runbooks)]) == 1
    err = capsys.readouterr().err
    assert f"{routing}:5: routes[0].chanel: unknown key (did you mean 'channel'?)" in err
    routing.write_text(
        "routes:\n  - name: a\n    channel: C1\n    runbooks: [nope]\nunrouted: drop\n"
    )
    assert main(["alerts", "check", str(routing), str(runbooks)]) == 1
    assert "routes[0].runbooks: no runbook named nope" in capsys.readouterr().err
    routing.write_text("routes:\n  - name: a\n    channel: C1\n    runbooks: [r]\nunrouted: drop\n")
    assert main(["alerts", "check", str(routing), str(runbooks)]) == 0


def test_the_readmes_routing_and_runbooks_pass_alerts_check(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Alerts from Alertmanager")
    section = text[start : text.index("\n## ", start + 1)]
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]
    (routing,) = [b for b in blocks if "routes" in b]
    (runbooks,) = [b for b in blocks if "runbooks" in b and "routes" not in b]
    assert routing["routes"][0]["diagnose"] is True
    (tmp_path / "routing.yaml").write_text(yaml.safe_dump(routing))
    (tmp_path / "runbooks.yaml").write_text(yaml.safe_dump(runbooks))
    assert (
        main(["alerts", "check", str(tmp_path / "routing.yaml"), str(tmp_path / "runbooks.yaml")])
        == 0
    )
