"""Per-user LLM rate limit: a sliding minute in real Redis, shared by replicas; local fallback."""

from __future__ import annotations

import uuid

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.planning.ratelimit import LlmRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_user_in_redis(redis_client: redis.Redis) -> None:
    clock = Clock()
    prefix = f"opsbot{uuid.uuid4().hex[:6]}"  # a shared redis-server is not flushed
    limiter = LlmRateLimiter(redis_client, per_minute=3, clock=clock, key_prefix=prefix)

    assert [limiter.allow("alice")[0] for _ in range(3)] == [True, True, True]
    clock.now += 10
    allowed, retry_after = limiter.allow("alice")
    assert (allowed, retry_after) == (False, 50)  # the oldest call leaves the window in 50 s
    assert limiter.allow("bob") == (True, 0)  # users are independent
    clock.now += 50.5
    assert limiter.allow("alice") == (True, 0)  # the window slid past the first call
    assert redis_client.ttl(f"{prefix}:llm-rate:alice") > 0  # keys expire on their own


def test_replicas_share_the_limit(redis_client: redis.Redis) -> None:
    clock = Clock()
    prefix = f"opsbot{uuid.uuid4().hex[:6]}"  # a shared redis-server is not flushed
    one = LlmRateLimiter(redis_client, per_minute=2, clock=clock, key_prefix=prefix)
    two = LlmRateLimiter(redis_client, per_minute=2, clock=clock, key_prefix=prefix)

    assert one.allow("alice")[0] and two.allow("alice")[0]
    assert one.allow("alice")[0] is False
    assert two.allow("alice")[0] is False


def test_refused_calls_do_not_extend_the_wait(redis_client: redis.Redis) -> None:
    clock = Clock()
    prefix = f"opsbot{uuid.uuid4().hex[:6]}"  # a shared redis-server is not flushed
    limiter = LlmRateLimiter(redis_client, per_minute=1, clock=clock, key_prefix=prefix)
    assert limiter.allow("alice") == (True, 0)
    for _ in range(5):
        clock.now += 1
        assert limiter.allow("alice")[0] is False
    clock.now += 55.1
    assert limiter.allow("alice") == (True, 0)


def test_in_memory_fallback_without_redis() -> None:
    clock = Clock()
    limiter = LlmRateLimiter(None, per_minute=2, clock=clock)
    assert limiter.allow("alice") == (True, 0)
    assert limiter.allow("alice") == (True, 0)
    assert limiter.allow("alice") == (False, 60)
    clock.now += 60.01
    assert limiter.allow("alice") == (True, 0)


def test_unreachable_redis_degrades_to_the_local_window() -> None:
    dead = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    clock = Clock()
    limiter = LlmRateLimiter(dead, per_minute=1, clock=clock)
    assert limiter.allow("alice") == (True, 0)
    assert limiter.allow("alice")[0] is False
