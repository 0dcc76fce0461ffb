"""Readiness checks: Redis answers PING and every configured backend's check() passes.

Checks run side by side, each with a deadline, so one hanging dependency cannot make the
probe itself time out; a check that does not answer in time counts as down.

/readyz answers from a result at most `ttl` seconds old (probes and scrapers cannot fan out
to Redis, Kubernetes and Docker on every call), one round runs at a time, and a check still
running from an earlier round is waited for again instead of being started a second time,
so a hung dependency holds one thread, not one per probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from bot.redact import redact

if TYPE_CHECKING:
    from bot.wiring import Wiring

Readiness = Callable[[], dict[str, str | None]]
"""Returns check name -> None when that dependency is fine, else a one-line reason."""

Check = Callable[[], str | None]


def _guarded(check: Check) -> str | None:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a failing check is a reason, never a crash
        return f"{type(exc).__name__}: {exc}"


def run_checks(checks: dict[str, Check], *, timeout: float) -> dict[str, str | None]:
    """Run every check concurrently; names that do not answer within `timeout` are down."""
    if not checks:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="opsbot-readyz")
    futures = {name: pool.submit(_guarded, check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, str | None] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = f"no answer within {timeout:g} s"
            continue
        reason = future.result()
        results[name] = redact(reason) if reason is not None else None
    return results


def _redis_check(client: object) -> Check:
    def ping() -> str | None:
        try:
            client.ping()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - any client error means Redis is not usable
            return f"Redis ping failed: {type(exc).__name__}: {exc}"
        return None

    return ping


class CachedReadiness:
    """A Readiness that reuses its last answer for `ttl` seconds and never runs a check twice
    at once: callers arriving during a round wait for it, and a check that outlived its
    round's deadline is awaited again by the next round rather than started anew."""

    def __init__(
        self,
        checks: dict[str, Check],
        *,
        timeout: float,
        ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._checks = checks
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, Future[str | None]] = {}
        self._last: dict[str, str | None] | None = None
        self._last_at = 0.0

    def __call__(self) -> dict[str, str | None]:
        with self._lock:
            if self._last is not None and self._clock() - self._last_at < self._ttl:
                return dict(self._last)
            futures = {name: self._start(name, check) for name, check in self._checks.items()}
            wait(futures.values(), timeout=self._timeout)
            results: dict[str, str | None] = {}
            for name, future in futures.items():
                if not future.done():
                    results[name] = f"no answer within {self._timeout:g} s"
                    continue
                reason = future.result()
                results[name] = redact(reason) if reason is not None else None
            self._last, self._last_at = results, self._clock()
            return dict(results)

    def _start(self, name: str, check: Check) -> Future[str | None]:
        running = self._running.get(name)
        if running is not None and not running.done():
            return running  # still hung from an earlier round: do not pile up threads
        future: Future[str | None] = Future()

        def run() -> None:
            future.set_result(_guarded(check))

        # a daemon thread: a check hung for good must not block the process from exiting
        threading.Thread(target=run, name=f"opsbot-readyz-{name}", daemon=True).start()
        self._running[name] = future
        return future


def readiness_from_wiring(
    wiring: Wiring, *, timeout: float = 4.0, ttl: float = 2.0
) -> CachedReadiness:
    """Checks for /readyz: `redis` (when REDIS_URL is set) and one per configured backend
    (`kubernetes`, `docker`, `host`), answered from a result at most `ttl` seconds old."""
    checks: dict[str, Check] = {}
    if wiring.redis_client is not None:
        checks["redis"] = _redis_check(wiring.redis_client)
    for kind, backend in wiring.backends.items():
        checks[str(kind.value)] = backend.check
    return CachedReadiness(checks, timeout=timeout, ttl=ttl)
