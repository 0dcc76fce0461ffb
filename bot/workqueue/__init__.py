"""A durable work queue: what a receiver acked is recorded here first, then worked by workers
(threads or other processes, on any replica). RedisWorkQueue is the real one (a Redis stream
with a consumer group); MemoryWorkQueue has the same interface for one process and is not
durable."""

from bot.workqueue.memory_queue import MemoryWorkQueue
from bot.workqueue.queue import Delivery, QueueFull, QueueUnavailable, WorkQueue
from bot.workqueue.redis_queue import RedisWorkQueue
from bot.workqueue.worker import WorkerPool

__all__ = [
    "Delivery",
    "MemoryWorkQueue",
    "QueueFull",
    "QueueUnavailable",
    "RedisWorkQueue",
    "WorkQueue",
    "WorkerPool",
]
