"""HostBackend runs the `health_report` catalog operation; `opsbot report [--json]` prints one
report in the terminal. Both read the Kubernetes API test server through a kubeconfig."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.backends.base import ErrorKind, Status
from bot.catalog import BackendKind, parse_operation
from bot.config import Settings
from bot.reports.backend import HostBackend
from bot.reports.terminal_report import report_command
from bot.wiring import build_backends
from tests.fixtures.k8s_fake import FakeK8s, backend_on

QUIET_HOST = (
    "thresholds: {cpu_percent: 100, memory_percent: 100, disk_percent: 100, load_per_cpu: 1000}\n"
)


def _seed(fake: FakeK8s) -> None:
    fake.add_pod("prod", "api-1", restarts=4, waiting_reason="CrashLoopBackOff")
    fake.add_pod("staging", "web-1", phase="Failed")


def test_health_report_operation_for_one_namespace(fake_k8s: FakeK8s):
    _seed(fake_k8s)
    settings = Settings(docker_disabled=True, max_output_chars=3000)
    backend = HostBackend(
        settings=settings,
        backends={BackendKind.KUBERNETES: backend_on(fake_k8s, context="admin")},
        api_client_factory=lambda ctx: fake_k8s.api_client(ctx or "admin"),
    )
    op = parse_operation({"operation": "health_report", "namespace": "prod"})

    result = backend.execute(op)

    assert result.status == Status.SUCCESS, result.error
    assert result.call == "health report (Kubernetes default context (prod); bot host)"
    subjects = [f["subject"] for f in result.data["findings"] if f["source"] == "kubernetes"]
    assert subjects == ["pod/api-1"]
    assert result.data["score"] <= 85 and result.data["counts"]["critical"] == 1
    assert result.text is not None
    assert result.text.startswith("Health report: score")
    assert "run: logs pod/api-1 -n prod -p" in result.text
    assert backend.preview(op).note == "read-only: nothing changes"
    assert backend.known_names("pods") == []
    assert backend.check() is None


def test_other_operations_are_refused():
    backend = HostBackend(settings=Settings(kube_disabled=True, docker_disabled=True))

    result = backend.execute(parse_operation({"operation": "list_pods", "namespace": "prod"}))

    assert result.status == Status.ERROR and result.error_kind == ErrorKind.INVALID


def test_bad_reports_config_is_reported_by_check(tmp_path: Path):
    bad = tmp_path / "reports.yaml"
    bad.write_text("schedules: [{name: a, cron: nope, channel: C}]")

    backend = HostBackend(settings=Settings(reports_config=bad, kube_disabled=True))

    problem = backend.check()
    assert problem is not None and "cron" in problem and str(bad) in problem


def test_wiring_builds_the_host_backend():
    backends, notes = build_backends(Settings(kube_disabled=True, docker_disabled=True))

    assert isinstance(backends[BackendKind.HOST], HostBackend)
    assert not any("Health reports" in n for n in notes)


def _cli_settings(fake: FakeK8s, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI reads the cluster through KUBECONFIG like any kubectl user."""
    assert fake.kubeconfig_path is not None
    monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig_path))
    config = tmp_path / "reports.yaml"
    config.write_text(QUIET_HOST)
    return Settings(kube_context="admin", docker_disabled=True, reports_config=config)


def test_report_command_prints_text_and_exits_1_on_critical(
    fake_k8s: FakeK8s, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _seed(fake_k8s)
    out = io.StringIO()

    code = report_command(_cli_settings(fake_k8s, tmp_path, monkeypatch), out=out, as_json=False)

    text = out.getvalue()
    assert code == 1
    lines = text.splitlines()
    assert lines[0] == "Health report: score 80/100 (1 critical, 1 warning, 0 info)"
    assert "[CRITICAL] Pod api-1 is in CrashLoopBackOff (4 restarts)" in text
    assert text.index("[CRITICAL]") < text.index("[WARNING]")
    assert "    run: logs pod/api-1 -n prod -p" in lines


def test_report_command_json(fake_k8s: FakeK8s, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake_k8s.add_pod("prod", "ok-1")
    out = io.StringIO()

    code = report_command(_cli_settings(fake_k8s, tmp_path, monkeypatch), out=out, as_json=True)

    data = json.loads(out.getvalue())
    assert code == 0
    assert data["score"] == 100 and data["findings"] == []
    assert data["counters"]["pods"] == 1
    assert data["counts"] == {"critical": 0, "warning": 0, "info": 0}


def test_report_command_bad_config_exits_2(tmp_path: Path):
    out = io.StringIO()
    settings = Settings(reports_config=tmp_path / "missing.yaml", kube_disabled=True)

    assert report_command(settings, out=out, as_json=False) == 2
    assert "OPSBOT_REPORTS_CONFIG" in out.getvalue()
