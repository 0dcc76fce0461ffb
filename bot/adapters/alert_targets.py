"""Alerts to the platform their route names: a route's `channel` is a Slack channel id or a
Matrix room id (`!abc:example.org`, `bot.reports.schedules.target_platform`), so one receiver
serves both platforms. `AlertSinks` is the receiver's one sink: it hands each call to the sink
of its channel's platform. `start_alerts` checks the routing file first: a route to a platform
this process does not serve, or to a Matrix alias, stops the start with a message saying how to
fix it, rather than failing on the first alert."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Settings
from bot.receivers.alertmanager.config import ConfigError, load_routing
from bot.receivers.alertmanager.server import ReceiverServer
from bot.receivers.alertmanager.setup import serve_receiver
from bot.receivers.alertmanager.sink import AlertGroupView, AlertSink, EvidenceItem
from bot.replies import Reply
from bot.reports.schedules import target_platform
from bot.wiring import Wiring


class AlertTargetError(RuntimeError):
    pass


class AlertSinks:
    """`sinks`: platform ("slack", "matrix") -> that platform's AlertSink."""

    def __init__(self, sinks: Mapping[str, AlertSink]) -> None:
        self.sinks = dict(sinks)

    def problem(self, channel: str) -> str | None:
        """Why alerts cannot go to `channel` from this process, or None."""
        if channel.startswith("#") and ":" in channel:
            return (
                f"{channel} is a Matrix room alias; route alerts to the room id "
                "(!opaque:server, shown in the room's settings) instead"
            )
        platform = target_platform(channel)
        if platform not in self.sinks:
            return (
                f"{channel} is a {platform} room, but this bot serves "
                f"{', '.join(sorted(self.sinks))} only: run it with --platform {platform} or "
                f"both, or route to a {'/'.join(sorted(self.sinks))} channel"
            )
        return None

    def _for(self, channel: str) -> AlertSink:
        problem = self.problem(channel)
        if problem is not None:
            raise AlertTargetError(problem)
        return self.sinks[target_platform(channel)]

    def post_group(self, channel: str, view: AlertGroupView) -> str:
        return self._for(channel).post_group(channel, view)

    def update_group(self, channel: str, ts: str, view: AlertGroupView) -> None:
        self._for(channel).update_group(channel, ts, view)

    def post_evidence(self, channel: str, thread_ts: str, items: list[EvidenceItem]) -> None:
        self._for(channel).post_evidence(channel, thread_ts, items)

    def post_note(self, channel: str, thread_ts: str, text: str) -> None:
        self._for(channel).post_note(channel, thread_ts, text)

    def post_reply(self, reply: Reply, *, channel: str, thread_ts: str) -> str:
        return self._for(channel).post_reply(reply, channel=channel, thread_ts=thread_ts)

    def mark_fix_unneeded(self, channel: str, ts: str, note: str) -> None:
        self._for(channel).mark_fix_unneeded(channel, ts, note)


def check_routes(settings: Settings, sinks: AlertSinks) -> None:
    """Raises ConfigError naming each route whose channel this process cannot post to."""
    assert settings.alerts_routing is not None
    routing = load_routing(settings.alerts_routing)
    targets = [(r.name, r.channel) for r in routing.routes]
    if routing.unrouted == "default" and routing.default_channel:
        targets.append(("default_channel", routing.default_channel))
    problems = [
        f"{settings.alerts_routing}: route {name}: {problem}"
        for name, channel in targets
        if (problem := sinks.problem(channel))
    ]
    if problems:
        raise ConfigError(problems)


def start_alerts(
    settings: Settings, wiring: Wiring, sinks: Mapping[str, AlertSink]
) -> ReceiverServer | None:
    """The Alertmanager receiver (POST /alertmanager), when OPSBOT_ALERTS_ROUTING is set.
    Raises ConfigError (bad or unservable routing) or ValueError (no Redis)."""
    if settings.alerts_routing is None:
        return None
    router = AlertSinks(sinks)
    check_routes(settings, router)
    server = serve_receiver(
        settings, service=wiring.service, sink=router, redis_client=wiring.redis_client
    )
    print(f"opsbot: receiving Alertmanager webhooks on {server.url}", flush=True)
    return server
