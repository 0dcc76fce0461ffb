"""Routing and runbook files: Alertmanager matcher semantics and file:line problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.receivers.alertmanager.matchers import parse_matcher


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
