"""Redaction quality and speed: corpus recall and false-positive rate, throughput (MB/s) on a
realistic log against a baseline scan in the same run, and linearity on pathological input
(the time ratio when the input doubles: about 2.0 means linear; the old key=value regex gave
~4).

    uv run python bench/bench_redact.py [--kib 200]

The corpus is tests/security/secrets_corpus.py (planted fake secrets and clean text).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

from bot.redact import redact
from tests.security.secrets_corpus import CLEAN_SAMPLES, SECRET_SAMPLES, measure

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
    "base64 words": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY ",
    "password:\\n": "password:\n",
    "-----END PRIVATE KEY": "-----END PRIVATE KEY-----",
}
_BASELINE_WORDS = re.compile(r"password|secret|token|key|auth")


def baseline(text: str) -> str:
    """The cheapest useful scan: lowercase once, find the secret words (no judging)."""
    low = text.lower()
    hits = sum(1 for _ in _BASELINE_WORDS.finditer(low))
    return text if hits >= 0 else low


def seconds(fn: Callable[[str], str], text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def corpus_report() -> None:
    recall, false_positives, missed, changed = measure(redact)
    formats = len({s.format for s in SECRET_SAMPLES})
    print(
        f"corpus: {len(SECRET_SAMPLES)} planted secrets in {formats} formats, "
        f"{len(CLEAN_SAMPLES)} clean samples"
    )
    print(f"recall {recall:.4f} ({len(missed)} missed)  false positives {false_positives:.4f}")
    for sample in missed[:5]:
        print(f"  missed {sample.format}: {sample.text[:80]!r}")
    for text in changed[:5]:
        print(f"  changed: {text[:80]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kib", type=int, default=200, help="input size (doubled for ratio)")
    args = parser.parse_args()
    corpus_report()
    size = args.kib * 1024
    log = (LOG_LINE * (size // len(LOG_LINE) + 1))[:size]
    ours, base = seconds(redact, log), seconds(baseline, log)
    print(
        f"\nthroughput on a realistic log: redact {size / ours / 1e6:.1f} MB/s, "
        f"baseline scan {size / base / 1e6:.1f} MB/s (redact takes {ours / base:.1f}x)"
    )
    print(f"\n{'input':22} {'KiB':>6} {'seconds':>8} {'MB/s':>7} {'x2 ratio':>9}")
    for name, unit in INPUTS.items():
        text = unit * (size // len(unit) + 1)
        one = seconds(redact, text[:size], repeat=1)
        two = seconds(redact, (text * 2)[: 2 * size], repeat=1)
        rate = size / one / 1e6
        print(f"{name:22} {args.kib:6d} {one:8.3f} {rate:7.1f} {two / one:9.2f}")


if __name__ == "__main__":
    main()
