"""One expiry and interrupted-execution sweep per process, whatever front ends it serves.

`expire_due()` and `recover_interrupted()` hand each approval to exactly one caller across
replicas, and the store has already closed it when it is returned: a caller that drops it loses
the notice for good. So a process never runs one sweep per front end (Slack's would claim
Matrix approvals and drop them); it runs one `SweepRouter`, which hands every returned approval
to the front end of the platform its preview was posted on. It closes only approvals of the
platforms it serves (and those never posted): when a Slack-only and a Matrix-only deployment
share Redis and key prefix, each leaves the other's approvals pending for the other's sweep.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.approvals.models import PendingApproval
from bot.service import ChatService

log = logging.getLogger("opsbot.sweep")


class Closer(Protocol):
    """A front end's last word on an approval the sweep closed: final status on its preview,
    and a notice in its thread."""

    def close_expired(self, approval: PendingApproval) -> None: ...

    def close_interrupted(self, approval: PendingApproval) -> None: ...


@dataclass(frozen=True)
class SweepResult:
    expired: int
    interrupted: int
    unrouted: int  # closed in the store, but never posted anywhere (no preview: logged)


class SweepRouter:
    """`closers`: message platform ("slack", "matrix") -> that platform's front end."""

    def __init__(
        self,
        service: ChatService,
        closers: Mapping[str, Closer],
        *,
        interrupted_after_seconds: int,
    ) -> None:
        self.service = service
        self.closers = dict(closers)
        self.interrupted_after_seconds = interrupted_after_seconds

    def once(self) -> SweepResult:
        served = set(self.closers)
        expired = self.service.expire_due(platforms=served)
        unrouted = sum(not self._hand(a, expired=True) for a in expired)
        interrupted = self.service.recover_interrupted(
            older_than_seconds=self.interrupted_after_seconds, platforms=served
        )
        unrouted += sum(not self._hand(a, expired=False) for a in interrupted)
        return SweepResult(expired=len(expired), interrupted=len(interrupted), unrouted=unrouted)

    def _hand(self, approval: PendingApproval, *, expired: bool) -> bool:
        platform = approval.message.platform if approval.message else None
        closer = self.closers.get(platform) if platform else None
        if closer is None:
            log.warning(
                "approval %s was %s, but its preview is on %s, which this process does not "
                "serve (it serves %s): no notice was posted",
                approval.id,
                "expired" if expired else "interrupted",
                platform or "no platform",
                ", ".join(sorted(self.closers)) or "nothing",
            )
            return False
        try:
            if expired:
                closer.close_expired(approval)
            else:
                closer.close_interrupted(approval)
        except Exception:  # one platform's failure must not cost the others their notices
            log.exception("posting the %s notice of approval %s failed", platform, approval.id)
        return True


class SweepLoop:
    """Runs `router.once()` every `interval` seconds on a daemon thread."""

    def __init__(self, router: SweepRouter, *, interval: float = 15.0) -> None:
        self.router = router
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opsbot-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.router.once()
            except Exception:
                log.exception("sweep failed; trying again in %.0f s", self.interval)
