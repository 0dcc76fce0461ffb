"""The bot's own host through psutil: CPU, memory, disk and load over the thresholds."""

from __future__ import annotations

import os
import socket

import psutil

from bot.reports.models import Finding, Severity
from bot.reports.scope import Thresholds
from bot.reports.sink import FindingSink

CPU_SAMPLE_SECONDS = 0.2


def collect_host(*, thresholds: Thresholds, sink: FindingSink) -> None:
    host = socket.gethostname()
    cpu = psutil.cpu_percent(interval=CPU_SAMPLE_SECONDS)
    memory = psutil.virtual_memory().percent
    cpus = psutil.cpu_count() or 1
    load = os.getloadavg()[0] / cpus
    sink.count("host_cpu_percent", round(cpu))
    sink.count("host_memory_percent", round(memory))

    def over(kind: str, subject: str, title: str, step: str) -> None:
        sink.add(
            Finding(
                severity=Severity.WARNING,
                source="host",
                scope=host,
                kind=kind,
                subject=subject,
                title=title,
                next_step=step,
            )
        )

    if cpu > thresholds.cpu_percent:
        over(
            "host_cpu",
            "cpu",
            f"CPU at {cpu:.0f}% (threshold {thresholds.cpu_percent:g}%)",
            "Find the busy processes on the bot's host (top); move work off it or add CPU.",
        )
    if memory > thresholds.memory_percent:
        over(
            "host_memory",
            "memory",
            f"Memory at {memory:.0f}% (threshold {thresholds.memory_percent:g}%)",
            "Find what uses the memory on the bot's host; the OOM killer is next.",
        )
    if load > thresholds.load_per_cpu:
        over(
            "host_load",
            "load",
            f"Load {load * cpus:.2f} on {cpus} CPUs ({load:.2f} per CPU, threshold "
            f"{thresholds.load_per_cpu:g})",
            "More work is queued than the CPUs can run; look for busy or blocked processes.",
        )
    for path in thresholds.disk_paths:
        try:
            used = psutil.disk_usage(path).percent
        except OSError as err:
            sink.note(f"host {host}: cannot read disk usage of {path}: {err.strerror or err}")
            continue
        if used > thresholds.disk_percent:
            over(
                "host_disk",
                f"disk {path}",
                f"Disk {path} at {used:.0f}% (threshold {thresholds.disk_percent:g}%)",
                f"Free space on {path} (old logs, images, temp files) before it fills up.",
            )
