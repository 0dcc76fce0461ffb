"""Matrix request-to-preview latency against a real Synapse (loopback, SQLite).

One `!ops` request at a time: a user sends it, the bot (syncing, as `opsbot serve --platform
matrix` runs it) plans it through the real service and posts the approval preview in the
request's thread. The latency is the preview's origin_server_ts minus the request's, both
stamped by Synapse (no polling error). The baseline, in the same run, is Synapse's own
send-message round trip (PUT /send, measured by the client) for the same requests. Prints
median and p99 of both and their ratio.

    uv run python bench/bench_matrix.py [--requests 200]

Needs Synapse installed as for tests/matrix (`bash scripts/test.sh` installs it). Uses the
Redis at OPSBOT_TEST_REDIS_URL when set (approvals, sync position), else in-process stores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.matrix.bot import BotThread, MatrixBot
from bot.config import Settings
from bot.wiring import build
from tests.fixtures.synapse import MatrixUser, Synapse, running_synapse

POLICY = """
grants:
  - {name: everyone, users: ["*"], actions: ["*"]}
approvals:
  - {name: sre, actions: [write, destructive], approver_groups: [sre], expires_after: 1h}
"""
REQUESTERS = 4  # each keeps at most requests/REQUESTERS plans pending (the per-user cap)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _preview(user: MatrixUser, room: str, root: str, bot: str) -> dict[str, Any] | None:
    for event in reversed(user.events(room, limit=50)):
        relates = event["content"].get("m.relates_to") or {}
        if (
            event["sender"] == bot
            and event["type"] == "m.room.message"
            and relates.get("rel_type") == "m.thread"
            and relates.get("event_id") == root
        ):
            return event
    return None


def run(server: Synapse, requests: int, home: Path) -> int:
    bot_user = server.register("opsbot")
    people = [server.register(f"user{i}") for i in range(REQUESTERS)]
    room = people[0].create_room(invite=[bot_user.user_id, *(p.user_id for p in people[1:])])
    for person in people[1:]:
        person.join(room)
    policy = home / "policy.yaml"
    policy.write_text(POLICY)
    settings = Settings.model_validate(
        {
            "policy_path": policy,
            "redis_url": os.environ.get("OPSBOT_TEST_REDIS_URL"),
            "key_prefix": f"opsbot-bench-{uuid.uuid4().hex[:8]}",
            "kube_disabled": True,
            "docker_disabled": True,
            "request_rate_limit_per_minute": 10_000,
            "max_pending_per_user": 100,
            "matrix_homeserver": server.url,
            "matrix_user_id": bot_user.user_id,
            "matrix_access_token": bot_user.token,
            "matrix_rooms": [room],
        }
    )
    wiring = build(settings)
    runner = BotThread(
        MatrixBot.build(service=wiring.service, settings=settings, redis_client=wiring.redis_client)
    ).start()
    try:
        deadline = time.monotonic() + 60
        while runner.bot.state.since() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if runner.bot.state.since() is None:
            print(f"the bot never synced: {runner.error}", file=sys.stderr)
            return 1
        send_ms: list[float] = []
        preview_ms: list[float] = []
        for i in range(requests):
            user = people[i % REQUESTERS]
            started = time.perf_counter()
            root = user.say(room, f"!ops scale deploy/web{i} to 3 in dev")
            send_ms.append((time.perf_counter() - started) * 1000)
            recent = user.events(room, limit=20)
            request = next(e for e in reversed(recent) if e["event_id"] == root)
            deadline = time.monotonic() + 30
            preview = None
            while preview is None and time.monotonic() < deadline:
                preview = _preview(user, room, root, bot_user.user_id)
                if preview is None:
                    time.sleep(0.01)
            if preview is None or "PENDING" not in preview["content"].get("body", ""):
                shown = preview["content"].get("body", "")[:200] if preview else "nothing"
                print(f"request {i}: no preview within 30 s (bot said: {shown})", file=sys.stderr)
                return 1
            preview_ms.append(float(preview["origin_server_ts"] - request["origin_server_ts"]))
    finally:
        runner.stop()
    med_p, p99_p = statistics.median(preview_ms), p99(preview_ms)
    med_s, p99_s = statistics.median(send_ms), p99(send_ms)
    print(f"{requests} requests, one at a time, real Synapse on loopback")
    print(f"request -> preview (server timestamps): median {med_p:7.1f} ms   p99 {p99_p:7.1f} ms")
    print(f"Synapse send round trip (client):       median {med_s:7.1f} ms   p99 {p99_s:7.1f} ms")
    print(
        f"ratio preview / send:                   median {med_p / med_s:7.1f} x   "
        f"p99 {p99_p / p99_s:7.1f} x"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-synapse-") as tmp:
        home = Path(tmp)
        (home / "synapse").mkdir()
        with running_synapse(home / "synapse") as server:
            return run(server, args.requests, home)


if __name__ == "__main__":
    sys.exit(main())
