"""Redaction throughput and linearity: MB/s on realistic logs and on pathological input, and
the time ratio when the input doubles (about 2.0 means linear; the old key=value regex gave ~4).

    uv run python bench/bench_redact.py [--kib 200]
"""

from __future__ import annotations

import argparse
import time

from bot.redact import redact

LOG_LINE = (
    "2026-11-21T17:17:11Z INFO request handled path=/api/v1/items status=200 "
    "duration=12ms user=bob token=abc Authorization: Bearer abcdefghijkl\n"
)
INPUTS = {
    "realistic log": LOG_LINE,
    "a.a.a. run": "a.",
    "password run": "password",
    "password= chain": "password=",
    'json "token":"': '"token":"',
    "1 KiB lines": "x" * 1000 + " token=abc\n",
}


def seconds(text: str) -> float:
    start = time.perf_counter()
    redact(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kib", type=int, default=200, help="input size (doubled for ratio)")
    args = parser.parse_args()
    size = args.kib * 1024
    print(f"{'input':18} {'KiB':>6} {'seconds':>8} {'MB/s':>7} {'x2 ratio':>9}")
    for name, unit in INPUTS.items():
        text = unit * (size // len(unit) + 1)
        one = seconds(text[:size])
        two = seconds((text * 2)[: 2 * size])
        rate = size / one / 1e6
        print(f"{name:18} {args.kib:6d} {one:8.3f} {rate:7.1f} {two / one:9.2f}")


if __name__ == "__main__":
    main()
