"""The fake Slack Web API (tests/fakes/slack_api.py) in its own low-priority process, standing
in for Slack's servers, which do not share the bot's CPU: a bench on a small machine then
measures the bot, not the fake. The parent talks to it over a JSON-lines pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NICE = 19


class FakeSlackProcess:
    """`calls(method)` gives each call's args and time (CLOCK_MONOTONIC, comparable with this
    process's time.monotonic())."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.nice(NICE),
        )
        started = self._ask({"op": "hello"})
        self.api_url: str = started["api_url"]
        self.bot_token: str = started["bot_token"]

    def _ask(self, request: dict[str, Any]) -> Any:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise SystemExit("the fake Slack process died")
        return json.loads(line)

    def add_user(self, user_id: str, *, name: str, groups: tuple[str, ...] = ()) -> None:
        self._ask({"op": "add_user", "id": user_id, "name": name, "groups": list(groups)})

    def user_says_all(self, channel: str, timestamps: list[str]) -> None:
        self._ask({"op": "says", "channel": channel, "ts": timestamps})

    def count(self, method: str) -> int:
        return int(self._ask({"op": "count", "method": method}))

    def calls(self, method: str, *, since: int = 0) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self._ask({"op": "calls", "method": method, "since": since})
        return calls

    def wait_for_count(self, method: str, count: int, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count(method) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {count} {method} calls")
            time.sleep(0.05)

    def stop(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=10)


def _serve() -> int:
    from tests.fakes.slack_api import FakeSlack

    fake = FakeSlack().start()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            op = request["op"]
            answer: Any = None
            if op == "hello":
                answer = {"api_url": fake.api_url, "bot_token": fake.bot_token}
            elif op == "add_user":
                fake.add_user(request["id"], name=request["name"], groups=tuple(request["groups"]))
            elif op == "says":
                for ts in request["ts"]:
                    fake.user_says(request["channel"], ts)
            elif op == "count":
                answer = len(fake.calls_to(request["method"]))
            elif op == "calls":
                calls = fake.calls_to(request["method"])[request["since"] :]
                answer = [{"args": call.args, "at": call.at} for call in calls]
            print(json.dumps(answer, default=str), flush=True)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(_serve())
