"""`opsbot serve` posts a scheduled health report (a schedule of the example config, made due
now) to its channel, with the details in the thread, and keeps /healthz up beside Slack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import yaml

from tests.fakes.slack_api import FakeSlack
from tests.fixtures.slack_fake import SIGNING_SECRET

REPO = Path(__file__).resolve().parents[2]


def test_serve_posts_a_scheduled_report_from_the_example_config(
    fake_slack: FakeSlack, redis_url: str, tmp_path: Path
) -> None:
    config = yaml.safe_load((REPO / "deploy/reports.example.yaml").read_text())
    morning = config["schedules"][0]
    morning.update(cron="* * * * *", timezone="UTC", min_severity="info")
    config["schedules"] = [morning]
    config["thresholds"].update(disk_percent=1)  # force a host finding: never "healthy"
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(config))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    env.update(
        SLACK_BOT_TOKEN=fake_slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        OPSBOT_SLACK_API_URL=fake_slack.api_url,
        REDIS_URL=redis_url,
        OPSBOT_KEY_PREFIX=f"sched-{os.getpid()}",
        OPSBOT_REPORTS_CONFIG=str(path),
        OPSBOT_KUBE_DISABLED="true",
        OPSBOT_DOCKER_DISABLED="true",
        OPSBOT_HTTP_PORT="0",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--mode", "http", "--port", "0"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        health = re.search(r"(http://127\.0\.0\.1:\d+)/healthz", line)
        if health is None:
            proc.kill()
            raise AssertionError(f"no start line: {line!r}; stderr: {proc.stderr.read()}")
        with urllib.request.urlopen(health.group(0), timeout=5) as answer:
            assert answer.status == 200

        summary = fake_slack.wait_for(
            lambda: next(
                (
                    m
                    for m in fake_slack.messages
                    if m.channel == morning["channel"] and not m.thread_ts
                ),
                None,
            ),
            timeout=30,
            what="the scheduled report in its channel",
        )
        assert "disk" in str(fake_slack.calls).lower()
        fake_slack.wait_for(
            lambda: any(m.thread_ts == summary.ts for m in fake_slack.messages),
            timeout=10,
            what="the report's details in its thread",
        )
        posted = [
            m for m in fake_slack.messages if m.channel == morning["channel"] and not m.thread_ts
        ]
        assert len(posted) == 1
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
