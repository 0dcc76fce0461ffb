"""Scheduled reports to the platform their target names: a schedule's `channel` is a Slack
channel id or a Matrix room id (`!abc:example.org`, `bot.reports.schedules.target_platform`).
One scheduler per process posts through `ReportPosters`, which hands each report to the poster
of its target's platform; a target on a platform this process does not serve fails that run
with a message saying so (the scheduler logs it), instead of posting it somewhere else."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.catalog import BackendKind
from bot.config import Settings
from bot.reports.backend import HostBackend
from bot.reports.models import HealthReport
from bot.reports.scheduler import SchedulerHandle, start_scheduler
from bot.reports.schedules import target_platform
from bot.wiring import Wiring

Poster = Callable[[str, HealthReport], object]


class ReportTargetError(RuntimeError):
    pass


class ReportPosters:
    def __init__(self, posters: Mapping[str, Poster]) -> None:
        self.posters = dict(posters)

    def __call__(self, channel: str, report: HealthReport) -> object:
        platform = target_platform(channel)
        poster = self.posters.get(platform)
        if poster is None:
            raise ReportTargetError(
                f"the report target {channel} is a {platform} room, but this bot serves "
                f"{', '.join(sorted(self.posters))} only: run it with --platform "
                f"{platform} or both, or target a {'/'.join(sorted(self.posters))} channel"
            )
        return poster(channel, report)


def start_reports(
    settings: Settings, wiring: Wiring, posters: Mapping[str, Poster]
) -> SchedulerHandle | None:
    """The scheduled health reports, when OPSBOT_REPORTS_CONFIG is set. They are built by the
    same builder (and API clients) as on-demand `health` requests."""
    if settings.reports_config is None:
        return None
    host = wiring.backends.get(BackendKind.HOST)
    return start_scheduler(
        settings=settings,
        redis_client=wiring.redis_client,
        post=ReportPosters(posters),
        build=host.builder.build if isinstance(host, HostBackend) else None,
    )
