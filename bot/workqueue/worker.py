"""Workers: threads that take entries from a WorkQueue and hand each to a handler, one at a
time, until stopped. Stopping is graceful: a worker finishes the entry it holds (within the
grace period the caller waits), hands back one it took but did not start, and exits."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from bot.workqueue.queue import Delivery, QueueUnavailable, WorkQueue

log = logging.getLogger("opsbot.workqueue")


Handler = Callable[[Delivery], None]


class WorkerPool:
    """`threads` workers on `queue`. `give_up(delivery)`: an entry delivered more than
    `max_attempts` times (its workers died or failed on it) is passed here once (log it, tell
    the user) and removed, even when give_up raises. A handler that raises leaves its entry to
    be taken over and tried again (a durable queue: after the takeover timeout; in memory: at
    once)."""

    def __init__(
        self,
        queue: WorkQueue,
        handle: Handler,
        *,
        give_up: Handler,
        threads: int = 1,
        name: str = "opsbot-worker",
        max_attempts: int = 3,
        block_ms: int = 1000,
        keep_every_seconds: float = 10.0,
    ) -> None:
        self.queue = queue
        self.handle = handle
        self.give_up = give_up
        self.threads = threads
        self.name = name
        self.max_attempts = max_attempts
        self.block_ms = block_ms
        # refresh well within the takeover timeout, or a live worker's entry is taken over
        takeover = queue.takeover_after_seconds
        self.keep_every_seconds = (
            keep_every_seconds if takeover is None else min(keep_every_seconds, takeover / 3)
        )
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._held: dict[str, Delivery] = {}  # consumer -> the entry it works on
        self._lock = threading.Lock()
        self.handled = 0

    def consumer_name(self, index: int) -> str:
        return f"{socket.gethostname()}-{os.getpid()}-{self.name}-{index}"

    def start(self) -> WorkerPool:
        for index in range(self.threads):
            consumer = self.consumer_name(index)
            thread = threading.Thread(
                target=self._run, args=(consumer,), name=f"{self.name}-{index}", daemon=True
            )
            thread.start()
            self._workers.append(thread)
        keeper = threading.Thread(target=self._keep_fresh, name=f"{self.name}-keep", daemon=True)
        keeper.start()
        return self

    def stop(self, *, grace_seconds: float = 25.0) -> bool:
        """Stop taking entries and wait up to `grace_seconds` for the ones being worked; True
        when every worker finished. An entry still worked after that is taken over by another
        replica once the process is gone."""
        self._stopping.set()
        for thread in self._workers:
            thread.join(timeout=max(grace_seconds, 0.0))
            grace_seconds = 0.0 if thread.is_alive() else grace_seconds
        finished = not self._any_alive()
        if not finished:
            with self._lock:
                held = list(self._held.values())
            log.warning(
                "stopping with %d entr%s still being worked (%s): another replica takes them over",
                len(held),
                "y" if len(held) == 1 else "ies",
                ", ".join(d.id for d in held),
            )
        return finished

    def _run(self, consumer: str) -> None:
        while not self._stopping.is_set():
            try:
                delivery = self.queue.take(consumer, block_ms=self.block_ms)
            except QueueUnavailable as exc:
                log.warning("%s: %s", consumer, exc)
                self._stopping.wait(1.0)
                continue
            except Exception:
                log.exception("%s: taking from the work queue failed", consumer)
                self._stopping.wait(1.0)
                continue
            if delivery is None:
                continue
            if self._stopping.is_set():
                self._quietly(self.queue.hand_back, delivery, consumer)
                break
            self._work(consumer, delivery)
        self._quietly(self.queue.forget_consumer, consumer)

    def _work(self, consumer: str, delivery: Delivery) -> None:
        with self._lock:
            self._held[consumer] = delivery
        try:
            if delivery.attempts > self.max_attempts:
                log.error(
                    "giving up on %s (%s) after %d deliveries",
                    delivery.id,
                    delivery.kind,
                    delivery.attempts - 1,
                )
                self._give_up(delivery)
            else:
                self.handle(delivery)
        except Exception:
            log.exception("handling %s (%s) failed", delivery.id, delivery.kind)
            if not self.queue.durable:
                self._quietly(self.queue.hand_back, delivery, consumer)
            return  # left held: taken over and tried again after the takeover timeout
        finally:
            with self._lock:
                self._held.pop(consumer, None)
        self.handled += 1
        self._quietly(self.queue.done, delivery)

    def _give_up(self, delivery: Delivery) -> None:
        """Tell the requester, best effort: the entry is removed even when that fails, or it
        would be taken over and given up again forever."""
        try:
            self.give_up(delivery)
        except Exception:
            log.exception("telling the requester of %s failed; removed anyway", delivery.id)

    def _keep_fresh(self) -> None:
        """Refresh every held entry's idle time, so no live worker's entry is taken over."""
        while True:
            time.sleep(self.keep_every_seconds)
            if self._stopping.is_set() and not self._any_alive():
                return
            with self._lock:
                held = list(self._held.items())
            for consumer, delivery in held:
                try:
                    if not self.queue.keep(delivery, consumer):
                        log.warning("%s was taken over from %s", delivery.id, consumer)
                except QueueUnavailable as exc:
                    log.warning("could not keep %s: %s", delivery.id, exc)

    def _any_alive(self) -> bool:
        return any(t.is_alive() for t in self._workers)

    @staticmethod
    def _quietly(step: Callable[..., None], *args: object) -> None:
        try:
            step(*args)
        except Exception as exc:  # noqa: BLE001 - a lost ack only means a takeover later
            log.warning("work queue: %s failed: %s", getattr(step, "__name__", step), exc)
