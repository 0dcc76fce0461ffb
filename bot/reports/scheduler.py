"""Scheduled health reports inside `opsbot serve`, safe with several replicas.

Each tick looks at every schedule's most recent run time. A run is due while it is at most
`grace` old; whoever first claims it with `SET key NX` in Redis (key = schedule + scheduled
time) builds and posts it, every other replica sees the claim and does nothing. The same rule
gives catch-up: a run missed while the bot was down is posted once when it comes back, if it is
still within the grace period, and never twice (the claim outlives the grace period).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import redis

from bot import metrics
from bot.config import Settings
from bot.redis_url import RedisClient
from bot.reports.builder import ReportBuilder
from bot.reports.models import HealthReport
from bot.reports.schedules import ReportsConfig, Schedule, load_reports_config
from bot.reports.scope import ReportScope
from bot.reports.trend import apply_trend

log = logging.getLogger("opsbot.reports.scheduler")

Clock = Callable[[], datetime]
PostFn = Callable[[str, HealthReport], object]
BuildFn = Callable[[ReportScope], HealthReport]
CLAIM_EXTRA_SECONDS = 86400  # claims live this much longer than the grace period
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


class RunStatus(StrEnum):
    POSTED = "posted"
    SKIPPED_HEALTHY = "skipped_healthy"  # only_when_unhealthy and nothing at min_severity
    CLAIMED_ELSEWHERE = "claimed_elsewhere"  # another replica (or an earlier run) has it
    FAILED = "failed"


@dataclass(frozen=True)
class RunOutcome:
    schedule: str
    scheduled_at: datetime
    status: RunStatus
    detail: str = ""


class ReportScheduler:
    def __init__(
        self,
        *,
        config: ReportsConfig,
        redis_client: RedisClient | None,
        post: PostFn,
        build: BuildFn,
        prefix: str = "opsbot",
    ) -> None:
        self.config = config
        self.redis = redis_client
        self.post = post
        self.build = build
        self.prefix = prefix
        self.instance = uuid.uuid4().hex
        self._handled: dict[str, str] = {}  # schedule name -> the last claim key resolved here
        if redis_client is None and config.schedules:
            log.warning(
                "report schedules without Redis: claims are per process, so several replicas "
                "would each post; set REDIS_URL"
            )

    def claim_key(self, schedule: Schedule, scheduled_at: datetime) -> str:
        stamp = scheduled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.prefix}:reports:run:{schedule.name}:{stamp}"

    def run_due(self, now: datetime | None = None) -> list[RunOutcome]:
        """Claim and post every run that is due at `now`; one outcome per run looked at."""
        now = now or utc_now()
        outcomes: list[RunOutcome] = []
        for schedule in self.config.schedules:
            scheduled_at = schedule.latest_run(now)
            if (now - scheduled_at).total_seconds() > self.config.grace_of(schedule):
                continue
            key = self.claim_key(schedule, scheduled_at)
            if self._handled.get(schedule.name) == key:
                continue
            outcome = self._run(schedule, scheduled_at, key)
            metrics.record_report_run(schedule=schedule.name, result=str(outcome.status))
            outcomes.append(outcome)
        return outcomes

    def _claim(self, key: str, schedule: Schedule) -> bool:
        if self.redis is None:
            return True
        ttl = int(self.config.grace_of(schedule)) + CLAIM_EXTRA_SECONDS
        return bool(self.redis.set(key, self.instance, nx=True, ex=ttl))

    def _release(self, key: str) -> None:
        """Give a claim back (the report could not be built) so a later tick may retry."""
        if self.redis is not None:
            self.redis.eval(_RELEASE_IF_OURS, 1, key, self.instance)

    def _run(self, schedule: Schedule, scheduled_at: datetime, key: str) -> RunOutcome:
        def outcome(status: RunStatus, detail: str = "") -> RunOutcome:
            return RunOutcome(schedule.name, scheduled_at, status, detail)

        if not self._claim(key, schedule):
            self._handled[schedule.name] = key
            return outcome(RunStatus.CLAIMED_ELSEWHERE)
        try:
            report = self.build(schedule.scope)
            if self.redis is not None:
                report = apply_trend(
                    self.redis, report, prefix=self.prefix, scope_key=f"schedule:{schedule.name}"
                )
        except Exception as exc:  # one bad run must not stop the scheduler
            self._release(key)
            log.exception("report %s: building failed", schedule.name)
            return outcome(RunStatus.FAILED, f"building the report failed: {exc}")
        self._handled[schedule.name] = key
        if schedule.only_when_unhealthy and report.healthy(min_severity=schedule.min_severity):
            log.info("report %s at %s: healthy, not posted", schedule.name, scheduled_at)
            return outcome(RunStatus.SKIPPED_HEALTHY)
        try:
            self.post(schedule.channel, report.filtered(min_severity=schedule.min_severity))
        except Exception as exc:  # kept claimed: a retry could post twice
            log.exception("report %s: posting to %s failed", schedule.name, schedule.channel)
            return outcome(RunStatus.FAILED, f"posting failed: {exc}")
        log.info("report %s at %s posted to %s", schedule.name, scheduled_at, schedule.channel)
        return outcome(RunStatus.POSTED)


class SchedulerHandle:
    """The scheduler thread; `stop()` ends it. `outcomes` keeps the latest run outcomes."""

    def __init__(self, scheduler: ReportScheduler, *, clock: Clock, interval: float) -> None:
        self.scheduler = scheduler
        self.clock = clock
        self.interval = interval
        self.outcomes: deque[RunOutcome] = deque(maxlen=200)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="opsbot-reports", daemon=True)

    def start(self) -> SchedulerHandle:
        self._thread.start()
        return self

    def run_due(self, now: datetime | None = None) -> list[RunOutcome]:
        found = self.scheduler.run_due(now or self.clock())
        self.outcomes.extend(found)
        return found

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except redis.RedisError as err:
                log.warning("report scheduler: Redis unavailable (%s); retrying next tick", err)
            except Exception:  # the thread must survive anything
                log.exception("report scheduler tick failed")
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def start_scheduler(
    *,
    settings: Settings,
    redis_client: RedisClient | None,
    post: PostFn,
    clock: Clock = utc_now,
    interval: float = 15.0,
    config: ReportsConfig | None = None,
    build: BuildFn | None = None,
) -> SchedulerHandle:
    """Start the report scheduler thread for the schedules in OPSBOT_REPORTS_CONFIG.

    Raises ReportsConfigError when that file is unreadable or invalid (fail at start-up,
    not silently at 8 a.m.)."""
    config = config or load_reports_config(settings.reports_config)
    if build is None:
        build = ReportBuilder(settings=settings, thresholds=config.thresholds).build
    scheduler = ReportScheduler(
        config=config,
        redis_client=redis_client,
        post=post,
        build=build,
        prefix=settings.key_prefix,
    )
    return SchedulerHandle(scheduler, clock=clock, interval=interval).start()
