"""A SIGTERM the kernel delivers to a non-main thread still stops a serving process. Python
runs the handler only when the main thread runs Python code; a main thread blocked in a wait
without a timeout slept through it (a replica that ignored SIGTERM during a rollout, seen about
one run in three under load)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import signal, threading, time
    from bot.adapters.shutdown import stop_on_signals, wait_until_stopped

    stop = stop_on_signals()

    def deliver_to_this_thread():
        time.sleep(0.3)  # the main thread is waiting by now
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    threading.Thread(target=deliver_to_this_thread).start()
    print("stopped" if wait_until_stopped(stop) else "check failed", flush=True)
    """
)


def test_a_sigterm_taken_by_another_thread_stops_the_wait() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the main thread slept through SIGTERM") from exc
    assert done.stdout.strip() == "stopped", done.stderr


def test_the_wait_ends_when_its_check_fails() -> None:
    code = textwrap.dedent(
        """
        import time
        from bot.adapters.shutdown import stop_on_signals, wait_until_stopped
        began = time.monotonic()
        result = wait_until_stopped(stop_on_signals(), check=lambda: time.monotonic() - began < 1)
        print(result)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.stdout.strip() == "False", done.stderr
