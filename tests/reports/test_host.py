"""The bot's own host via psutil: thresholds from config force or suppress findings."""

from __future__ import annotations

import psutil

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.models import Severity
from bot.reports.scope import Thresholds
from tests.fixtures.reports import HOST_ONLY


def _build(**thresholds: object):
    return ReportBuilder(
        settings=Settings(kube_disabled=True, docker_disabled=True),
        thresholds=Thresholds.model_validate(thresholds),
    ).build(HOST_ONLY)


def test_low_thresholds_force_memory_and_disk_findings():
    report = _build(cpu_percent=0, memory_percent=0, disk_percent=0, load_per_cpu=0)

    kinds = {f.kind for f in report.findings}
    assert {"host_memory", "host_disk"} <= kinds
    assert kinds <= {"host_cpu", "host_memory", "host_disk", "host_load"}
    disk = next(f for f in report.findings if f.kind == "host_disk")
    used = psutil.disk_usage("/").percent
    assert disk.subject == "disk /"
    assert disk.title.startswith("Disk / at ")
    assert abs(float(disk.title.split(" at ")[1].split("%")[0]) - used) <= 2
    assert all(f.severity == Severity.WARNING and f.source == "host" for f in report.findings)
    assert report.counters["host_memory_percent"] > 0


def test_high_thresholds_give_a_clean_host():
    report = _build(cpu_percent=100, memory_percent=100, disk_percent=100, load_per_cpu=1000)

    assert report.findings == []
    assert report.score == 100
    assert report.notes == []


def test_disk_paths_come_from_config_and_a_missing_path_is_a_note(tmp_path):
    report = _build(disk_percent=0, disk_paths=[str(tmp_path), "/no/such/path"])

    assert [f.subject for f in report.findings if f.kind == "host_disk"] == [f"disk {tmp_path}"]
    assert any("/no/such/path" in note for note in report.notes)
