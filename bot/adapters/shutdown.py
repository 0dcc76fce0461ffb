"""Waiting for SIGTERM/SIGINT in a serving process's main thread.

A process-directed signal may be delivered to any thread. Python runs its handler only in the
main thread, when that thread next runs Python code; a main thread blocked in a wait without
a timeout would sleep through it (seen as a replica that ignored SIGTERM under load). So the
main thread waits in short slices."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

POLL_SECONDS = 0.5


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """An event (`stop`, or a new one) SIGINT and SIGTERM set (handlers only from the main
    thread; elsewhere, e.g. a test calling serve in a thread, only its owner sets it)."""
    stop = stop if stop is not None else threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    return stop


def wait_until_stopped(stop: threading.Event, *, check: Callable[[], bool] | None = None) -> bool:
    """Block until `stop` is set (True), or until `check` returns False (False)."""
    while not stop.wait(POLL_SECONDS):
        if check is not None and not check():
            return False
    return True
