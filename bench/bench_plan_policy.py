"""Plan + policy decision latency: explicit parse, policy evaluation, and the two together.

Run: uv run python bench/bench_plan_policy.py
Prints per-request latency (median, p99) for a mix of commands against the shipped policy,
and the ratio of each stage to a baseline that only validates the same operations with
pydantic (the floor any typed plan pays). No services are needed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.catalog import parse_operation
from bot.models import Principal
from bot.parsing import Parsed, parse_command
from bot.plan import Plan
from bot.policy import load_engine_or_deny

REQUESTS = [
    "scale deploy/web --replicas 5 -n prod",
    "scale deployment web to 5 in staging",
    "restart deploy/api -n staging",
    "rollback deploy/web -n prod",
    "logs pod/api-7f9c -n staging --tail 100",
    "list pods -n prod -l app=web",
    "get events -n prod",
    "delete pod api-7f9c -n prod",
    "docker ps -a",
    "docker restart web-1",
    "scale deploy/web to 5 in prod; restart deploy/api -n prod",
]
ROUNDS = 400
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday: no freeze window


def _time(fn: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def main() -> None:
    engine = load_engine_or_deny(Path(__file__).resolve().parents[1] / "policies")
    alice = engine.effective_principal(Principal(id="alice"))
    plans = []
    for text in REQUESTS:
        parsed = parse_command(text)
        assert isinstance(parsed, Parsed), (text, parsed)
        plans.append(parsed.plan)
    raw_steps = [[s.model_dump() for s in p.steps] for p in plans]

    def baseline() -> None:
        for steps in raw_steps:
            Plan(steps=[parse_operation(s) for s in steps])

    def parse_only() -> None:
        for text in REQUESTS:
            parse_command(text)

    def policy_only() -> None:
        for plan in plans:
            engine.evaluate(plan, alice, now=NOW)

    def both() -> None:
        for text in REQUESTS:
            parsed = parse_command(text)
            assert isinstance(parsed, Parsed)
            engine.evaluate(parsed.plan, alice, now=NOW)

    for fn in (baseline, parse_only, policy_only, both):  # warm up
        fn()
    n = len(REQUESTS)
    rows = {
        name: [s / n for s in _time(fn, ROUNDS)]
        for name, fn in (
            ("validate only (baseline)", baseline),
            ("explicit parse", parse_only),
            ("policy decision", policy_only),
            ("parse + policy", both),
        )
    }
    base = _summary(rows["validate only (baseline)"])[0]
    print(f"per request, mean over {n} commands, {ROUNDS} rounds (microseconds)")
    print(f"{'stage':<26}{'median':>10}{'p99':>10}{'x baseline':>12}")
    for name, samples in rows.items():
        median, p99 = _summary(samples)
        print(f"{name:<26}{median:>10.1f}{p99:>10.1f}{median / base:>12.1f}")
    print(f"throughput (parse + policy): {1e6 / _summary(rows['parse + policy'])[0]:,.0f} req/s")


if __name__ == "__main__":
    main()
