"""Settings -> a running receiver (used by `opsbot serve`)."""

from __future__ import annotations

from bot.config import Settings
from bot.models import Principal
from bot.receivers.alertmanager.auth import Credentials
from bot.receivers.alertmanager.config import Runbooks, load_routing, load_runbooks
from bot.receivers.alertmanager.ledger import AlertLedger
from bot.receivers.alertmanager.processor import AlertProcessor
from bot.receivers.alertmanager.server import AlertReceiver, ReceiverServer, start_receiver
from bot.receivers.alertmanager.sink import AlertSink
from bot.redis_url import RedisClient
from bot.service import ChatService
from bot.workqueue.setup import redis_work_queue

QUEUE_NAME = "alerts"  # its own stream: Slack's workers never see alert entries
# a notification's delivery key is remembered this long: Alertmanager's retries of it and
# every HA replica's copy within it record nothing more (its retries span minutes)
SEEN_TTL_SECONDS = 7 * 86400


def credentials_from(settings: Settings) -> Credentials:
    return Credentials(
        token=settings.alerts_token.get_secret_value() if settings.alerts_token else None,
        basic_user=settings.alerts_basic_user,
        basic_password=settings.alerts_basic_password.get_secret_value()
        if settings.alerts_basic_password
        else None,
    )


def build_receiver(
    settings: Settings, *, service: ChatService, sink: AlertSink, redis_client: RedisClient | None
) -> AlertReceiver:
    """Raises ConfigError (bad files) or ValueError (no Redis)."""
    if settings.alerts_routing is None:
        raise ValueError("set OPSBOT_ALERTS_ROUTING to a routing file to receive alerts")
    if redis_client is None:
        raise ValueError("the Alertmanager receiver records alerts in Redis: set REDIS_URL")
    ledger = AlertLedger(redis_client, prefix=settings.key_prefix)
    queue = redis_work_queue(
        settings, redis_client, name=QUEUE_NAME, seen_ttl_seconds=SEEN_TTL_SECONDS
    )
    processor = AlertProcessor(
        service=service,
        ledger=ledger,
        sink=sink,
        routing=load_routing(settings.alerts_routing),
        runbooks=load_runbooks(settings.alerts_runbooks)
        if settings.alerts_runbooks
        else Runbooks(),
        principal=Principal(id=settings.alerts_principal, name="Alertmanager"),
        llm_diagnosis=settings.openai_api_key is not None,
    )
    return AlertReceiver(
        queue=queue,
        processor=processor,
        credentials=credentials_from(settings),
        max_attempts=settings.intake_max_attempts,
        keep_every_seconds=settings.intake_claim_after_seconds / 3,
    )


def serve_receiver(
    settings: Settings, *, service: ChatService, sink: AlertSink, redis_client: RedisClient | None
) -> ReceiverServer:
    receiver = build_receiver(settings, service=service, sink=sink, redis_client=redis_client)
    return start_receiver(
        receiver,
        host=settings.alerts_host,
        port=settings.alerts_port,
        grace_seconds=settings.shutdown_grace_seconds,
    )
