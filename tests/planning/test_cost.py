"""Token counts become an estimated cost; unknown models cost 0, never an invented number."""

from __future__ import annotations

import pytest

from bot.planning.cost import estimate_cost, price_for


def test_known_model_cost() -> None:
    assert estimate_cost(model="gpt-4o-mini", prompt_tokens=1_000_000, completion_tokens=0) == 0.15
    assert estimate_cost(model="gpt-4o", prompt_tokens=1000, completion_tokens=1000) == 0.0125


def test_longest_prefix_wins() -> None:
    assert price_for("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_for("gpt-4o-2024-11-20") == (2.50, 10.00)


@pytest.mark.parametrize("model", ["llama3.1:8b", "qwen2.5-coder", "my-local-model"])
def test_unknown_model_costs_nothing(model: str) -> None:
    assert price_for(model) is None
    assert estimate_cost(model=model, prompt_tokens=5000, completion_tokens=500) == 0.0
