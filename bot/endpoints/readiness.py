"""Readiness checks: Redis answers PING and every configured backend's check() passes.

Checks run side by side, each with a deadline, so one hanging dependency cannot make the
probe itself time out; a check that does not answer in time counts as down.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
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


def readiness_from_wiring(wiring: Wiring, *, timeout: float = 4.0) -> Readiness:
    """Checks for /readyz: `redis` (when REDIS_URL is set) and one per configured backend
    (`kubernetes`, `docker`, `host`)."""

    def readiness() -> dict[str, str | None]:
        checks: dict[str, Check] = {}
        if wiring.redis_client is not None:
            checks["redis"] = _redis_check(wiring.redis_client)
        for kind, backend in wiring.backends.items():
            checks[str(kind.value)] = backend.check
        return run_checks(checks, timeout=timeout)

    return readiness
