"""The work queues a deployment uses: Redis when REDIS_URL is set, else in memory."""

from __future__ import annotations

from bot.config import Settings
from bot.redis_url import RedisClient, ack_replicas
from bot.workqueue.memory_queue import MemoryWorkQueue
from bot.workqueue.queue import WorkQueue
from bot.workqueue.redis_queue import RedisWorkQueue


def work_queue(settings: Settings, client: RedisClient | None) -> WorkQueue:
    """The chat intake: durable on the shared Redis client, or in memory (not durable)
    without Redis."""
    return MemoryWorkQueue() if client is None else redis_work_queue(settings, client)


def redis_work_queue(
    settings: Settings,
    client: RedisClient,
    *,
    name: str = "intake",
    seen_ttl_seconds: int = 86400,
) -> RedisWorkQueue:
    """The stream `name` on the shared Redis client; its entries wait for the same replica
    acknowledgements as approvals."""
    return RedisWorkQueue(
        client,
        prefix=settings.key_prefix,
        name=name,
        claim_after_seconds=settings.intake_claim_after_seconds,
        maxlen=settings.intake_max_entries,
        seen_ttl_seconds=seen_ttl_seconds,
        ack_replicas=ack_replicas(settings.redis_ack_replicas, settings.redis_url),
        ack_timeout_ms=settings.redis_ack_timeout_ms,
    )
