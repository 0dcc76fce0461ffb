"""The report scheduler on a real Redis: one post per run across replicas (two spawned
processes), catch-up of a missed run within the grace period only, only-when-unhealthy."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from bot.config import Settings
from bot.reports.builder import ReportBuilder
from bot.reports.models import HealthReport, Severity
from bot.reports.scheduler import ReportScheduler, RunStatus, start_scheduler
from bot.reports.schedules import ReportsConfig, parse_reports_config
from bot.reports.scope import ReportScope

HOST_CONFIG = """
grace: 30m
thresholds: {cpu_percent: 100, memory_percent: 100, disk_percent: 100, load_per_cpu: 1000}
schedules:
  - name: morning
    cron: "0 8 * * *"
    timezone: UTC
    channel: C0OPS
    scope: {kubernetes: false, docker: false}
"""
AT_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NO_K8S_DOCKER = Settings(kube_disabled=True, docker_disabled=True)


class Posts:
    """The `post` callback: remembers (channel, report)."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, HealthReport]] = []

    def __call__(self, channel: str, report: HealthReport) -> None:
        self.posted.append((channel, report))


RUN = uuid.uuid4().hex[:8]
"""Keys of this run only: the session redis may be shared with other runs."""


def _scheduler(
    client: redis.Redis, config: ReportsConfig, posts: Posts, *, prefix: str
) -> ReportScheduler:
    builder = ReportBuilder(settings=NO_K8S_DOCKER, thresholds=config.thresholds)
    return ReportScheduler(
        config=config, redis_client=client, post=posts, build=builder.build, prefix=prefix
    )


def _replica(redis_url: str, prefix: str, nows: list[str], barrier: Any) -> None:
    """One bot replica in its own process: same config, same Redis, same run times."""
    client = redis.Redis.from_url(redis_url)
    config = parse_reports_config(HOST_CONFIG)

    def post(channel: str, report: HealthReport) -> None:
        client.rpush(f"{prefix}:posted", json.dumps({"pid": os.getpid(), "channel": channel}))

    builder = ReportBuilder(settings=NO_K8S_DOCKER, thresholds=config.thresholds)
    scheduler = ReportScheduler(
        config=config, redis_client=client, post=post, build=builder.build, prefix=prefix
    )
    for now in nows:
        barrier.wait(timeout=30)
        for outcome in scheduler.run_due(datetime.fromisoformat(now)):
            client.rpush(f"{prefix}:outcomes", f"{outcome.scheduled_at}|{outcome.status}")


def test_two_processes_on_one_redis_post_each_run_once(redis_url: str, redis_client: redis.Redis):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    runs = [AT_8 + timedelta(days=d, minutes=1) for d in range(3)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(
            target=_replica, args=(redis_url, prefix, [r.isoformat() for r in runs], barrier)
        )
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0, "a replica process failed"

    posted = [json.loads(x) for x in redis_client.lrange(f"{prefix}:posted", 0, -1)]
    outcomes = sorted(str(x) for x in redis_client.lrange(f"{prefix}:outcomes", 0, -1))
    assert len(posted) == 3, posted
    assert {p["channel"] for p in posted} == {"C0OPS"}
    for day in range(3):
        stamp = str(AT_8 + timedelta(days=day))
        mine = [o.split("|")[1] for o in outcomes if o.startswith(stamp)]
        assert sorted(mine) == [RunStatus.CLAIMED_ELSEWHERE, RunStatus.POSTED], (stamp, mine)


def test_scheduler_threads_of_two_replicas_post_once(redis_url: str, redis_client: redis.Redis):
    config = parse_reports_config(HOST_CONFIG)
    settings = NO_K8S_DOCKER.model_copy(update={"key_prefix": f"t{uuid.uuid4().hex[:8]}"})
    posts = Posts()
    handles = [
        start_scheduler(
            settings=settings,
            redis_client=redis.Redis.from_url(redis_url),
            post=posts,
            clock=lambda: AT_8 + timedelta(minutes=5),
            interval=0.02,
            config=config,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 10
        while not posts.posted and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # both threads tick many more times meanwhile
        assert all(h.alive for h in handles)
    finally:
        for h in handles:
            h.stop()
    assert [channel for channel, _ in posts.posted] == ["C0OPS"]
    statuses = sorted(o.status for h in handles for o in h.outcomes)
    assert statuses == [RunStatus.CLAIMED_ELSEWHERE, RunStatus.POSTED]
    assert not any(h.alive for h in handles)


def test_missed_run_is_posted_once_within_grace(redis_client: redis.Redis):
    config = parse_reports_config(HOST_CONFIG)
    posts = Posts()
    # the bot was down at 08:00 and comes back at 08:20 (grace 30m)
    first = _scheduler(redis_client, config, posts, prefix=f"{RUN}:t1")
    outcomes = first.run_due(AT_8 + timedelta(minutes=20))
    assert [(o.status, o.scheduled_at) for o in outcomes] == [(RunStatus.POSTED, AT_8)]
    assert first.run_due(AT_8 + timedelta(minutes=21)) == []
    # it restarts again at 08:25: the run is within grace but was posted already
    restarted = _scheduler(redis_client, config, posts, prefix=f"{RUN}:t1")
    assert [o.status for o in restarted.run_due(AT_8 + timedelta(minutes=25))] == [
        RunStatus.CLAIMED_ELSEWHERE
    ]
    assert len(posts.posted) == 1


def test_missed_run_outside_grace_is_not_posted(redis_client: redis.Redis):
    config = parse_reports_config(HOST_CONFIG)
    posts = Posts()
    scheduler = _scheduler(redis_client, config, posts, prefix=f"{RUN}:t2")

    assert scheduler.run_due(AT_8 + timedelta(minutes=31)) == []
    assert scheduler.run_due(AT_8 - timedelta(minutes=1)) == []  # yesterday's run: too old too
    assert posts.posted == []
    assert redis_client.keys("t2:reports:run:*") == []


def test_only_when_unhealthy_posts_nothing_for_a_healthy_scope(redis_client: redis.Redis):
    config = parse_reports_config(
        HOST_CONFIG.replace("channel: C0OPS", "channel: C0OPS\n    only_when_unhealthy: true")
    )
    posts = Posts()
    scheduler = _scheduler(redis_client, config, posts, prefix=f"{RUN}:t3")

    outcomes = scheduler.run_due(AT_8)

    assert [o.status for o in outcomes] == [RunStatus.SKIPPED_HEALTHY]
    assert posts.posted == []
    # the same schedule on an unhealthy host (disk over a 0% threshold) posts
    sick = config.model_copy(
        update={"thresholds": config.thresholds.model_copy(update={"disk_percent": 0})}
    )
    sick_scheduler = _scheduler(redis_client, sick, posts, prefix=f"{RUN}:t4")
    assert [o.status for o in sick_scheduler.run_due(AT_8)] == [RunStatus.POSTED]
    channel, report = posts.posted[0]
    assert channel == "C0OPS"
    assert [f.kind for f in report.findings] == ["host_disk"]


def test_posted_report_keeps_min_severity_and_carries_the_trend(redis_client: redis.Redis):
    config = parse_reports_config(
        HOST_CONFIG.replace("channel: C0OPS", "channel: C0OPS\n    min_severity: critical")
    )
    config = config.model_copy(
        update={"thresholds": config.thresholds.model_copy(update={"disk_percent": 0})}
    )
    posts = Posts()
    scheduler = _scheduler(redis_client, config, posts, prefix=f"{RUN}:t5")

    scheduler.run_due(AT_8)
    scheduler.run_due(AT_8 + timedelta(days=1))

    first, second = (report for _, report in posts.posted)
    assert first.findings == [] and first.counts()[Severity.WARNING] == 0  # warnings filtered
    assert second.trend is not None and second.trend.previous_at is not None
    # the disk warning is not posted, but the trend still knows it persisted
    assert [k.split("|")[2] for k in second.trend.persisting] == ["host_disk"]


def test_a_failed_build_releases_the_claim_and_is_retried(redis_client: redis.Redis):
    config = parse_reports_config(HOST_CONFIG)
    posts = Posts()
    calls: list[ReportScope] = []
    real = ReportBuilder(settings=NO_K8S_DOCKER, thresholds=config.thresholds)

    def flaky_build(scope: ReportScope) -> HealthReport:
        calls.append(scope)
        if len(calls) == 1:
            raise ConnectionError("cluster unreachable")
        return real.build(scope)

    scheduler = ReportScheduler(
        config=config, redis_client=redis_client, post=posts, build=flaky_build, prefix=f"{RUN}:t6"
    )

    failed = scheduler.run_due(AT_8)
    retried = scheduler.run_due(AT_8 + timedelta(minutes=1))

    assert [o.status for o in failed] == [RunStatus.FAILED]
    assert "cluster unreachable" in failed[0].detail
    assert [o.status for o in retried] == [RunStatus.POSTED]
    assert len(posts.posted) == 1
