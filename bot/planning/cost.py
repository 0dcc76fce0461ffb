"""Estimated cost of LLM calls: tokens times a per-model price table (USD per 1M tokens).

Prices are list prices at the time of writing and only an estimate; unknown models (local or
self-hosted endpoints) cost 0.0 so the audit trail never shows an invented number.
"""

from __future__ import annotations

# model prefix -> (input USD / 1M tokens, output USD / 1M tokens); the longest prefix wins
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
}


def price_for(model: str) -> tuple[float, float] | None:
    """The (input, output) price per million tokens of `model`, or None when unknown."""
    matches = [prefix for prefix in PRICES_PER_MILLION if model.startswith(prefix)]
    if not matches:
        return None
    return PRICES_PER_MILLION[max(matches, key=len)]


def estimate_cost(*, model: str, prompt_tokens: int, completion_tokens: int) -> float:
    price = price_for(model)
    if price is None:
        return 0.0
    cost = (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
    return round(cost, 8)
