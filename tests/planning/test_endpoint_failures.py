"""429 and 5xx are retried by the client; timeouts and persistent failures become clear errors."""

from __future__ import annotations

from bot.planning.base import PlannerFailed, Proposed
from bot.planning.static_inventory import StaticInventory
from tests.fakes.openai_api import Delay, FakeOpenAI, HttpError, call, calls
from tests.fixtures.openai_fake import PlannerFactory, ask, expect

RESTART = calls(call("restart_deployment", name="web", namespace="prod", context=None))


def test_429_with_retry_after_is_retried(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(HttpError(429, "Rate limit reached", retry_after_ms=20), RESTART)
    outcome = ask(make_planner(max_retries=2), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert openai_fake.served == 2
    assert len(openai_fake.requests) == 2


def test_500_is_retried(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(HttpError(503, "overloaded", retry_after_ms=10), RESTART)
    outcome = ask(make_planner(max_retries=1), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert openai_fake.served == 2


def test_persistent_429_is_a_clear_error_not_an_exception(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(*[HttpError(429, "Rate limit reached", retry_after_ms=5)] * 3)
    outcome = ask(make_planner(max_retries=2), "restart web in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert "429" in expect(PlannerFailed, outcome).error
    assert "help" in outcome.message
    assert openai_fake.served == 3  # first try + 2 retries


def test_timeout_is_a_clear_error(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(Delay(3.0, RESTART))
    planner = make_planner(max_retries=0, llm_timeout_seconds=0.3)
    outcome = ask(planner, "restart web in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert isinstance(outcome, PlannerFailed), outcome
    assert "did not answer within 0.3s" in outcome.error
    assert openai_fake.served == 0  # the client gave up before the slow reply was sent


def test_wrong_api_key_is_reported(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    from pydantic import SecretStr

    planner = make_planner(openai_api_key=SecretStr("sk-wrong-key-0000000000000"))
    outcome = ask(planner, "restart web in prod", seeded_inventory)

    assert not isinstance(outcome, Proposed)
    assert expect(PlannerFailed, outcome).error == (
        "The language model endpoint returned HTTP 401: Incorrect API key provided."
    )
    assert "sk-wrong" not in outcome.message


def test_reasoning_models_get_no_temperature(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(RESTART)
    outcome = ask(make_planner(model="o4-mini"), "restart web in prod", seeded_inventory)

    assert isinstance(outcome, Proposed)
    assert "temperature" not in openai_fake.requests[0]
    assert outcome.usage.cost_usd > 0  # o4-mini is in the price table


def test_endpoint_that_rejects_temperature_is_retried_without_it(
    openai_fake: FakeOpenAI, make_planner: PlannerFactory, seeded_inventory: StaticInventory
) -> None:
    openai_fake.script(RESTART, RESTART)
    planner = make_planner(model="fixed-temp-local-model")
    first = ask(planner, "restart web in prod", seeded_inventory)
    second = ask(planner, "restart web in prod", seeded_inventory)

    assert isinstance(first, Proposed) and isinstance(second, Proposed)
    assert [r.get("temperature") for r in openai_fake.requests] == [0, None, None]
    assert first.usage.cost_usd == 0.0  # unknown model: no invented price
