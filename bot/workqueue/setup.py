"""The work queue a deployment uses: Redis when REDIS_URL is set, else in memory."""

from __future__ import annotations

from bot.config import Settings
from bot.redis_url import RedisClient, default_ack_replicas
from bot.workqueue.memory_queue import MemoryWorkQueue
from bot.workqueue.queue import WorkQueue
from bot.workqueue.redis_queue import RedisWorkQueue


def work_queue(settings: Settings, client: RedisClient | None) -> WorkQueue:
    """The durable queue on the shared Redis client (entries wait for the same replica
    acknowledgements as approvals), or the in-memory one (not durable) without Redis."""
    if client is None:
        return MemoryWorkQueue()
    replicas = settings.redis_ack_replicas
    if replicas is None:
        replicas = default_ack_replicas(settings.redis_url or "")
    return RedisWorkQueue(
        client,
        prefix=settings.key_prefix,
        claim_after_seconds=settings.intake_claim_after_seconds,
        maxlen=settings.intake_max_entries,
        ack_replicas=replicas,
        ack_timeout_ms=settings.redis_ack_timeout_ms,
    )
