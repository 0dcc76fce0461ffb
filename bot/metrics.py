"""Prometheus metrics of the bot, in one private registry served at /metrics.

Other modules call the small `record_*` / `observe_*` helpers below (or the metric objects
directly). Label values are kept to bounded sets (sources, decisions, catalog kinds, Slack
method names): never put user ids, names of objects or free text into a label.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

REQUESTS = Counter(
    "opsbot_requests",
    "Chat requests received, by source (slack_mention, slack_dm, slash_command, console, ...)",
    ["source"],
    registry=REGISTRY,
)
PLANS = Counter(
    "opsbot_plans",
    "Plans decided by policy, by decision (allow, needs_approval, deny)",
    ["decision"],
    registry=REGISTRY,
)
APPROVAL_WAIT = Histogram(
    "opsbot_approval_wait_seconds",
    "Time from a write plan being shown to its final approval",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400),
    registry=REGISTRY,
)
EXECUTIONS = Counter(
    "opsbot_executions",
    "Executed operations, by catalog kind and result (success, error, no_data)",
    ["operation", "result"],
    registry=REGISTRY,
)
EXECUTION_SECONDS = Histogram(
    "opsbot_execution_duration_seconds",
    "Duration of executed operations, by catalog kind",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "opsbot_llm_tokens",
    "LLM tokens used, by model and kind (input, output)",
    ["model", "kind"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "opsbot_llm_cost_usd",
    "Estimated LLM cost in US dollars, by model",
    ["model"],
    registry=REGISTRY,
)
SLACK_API_ERRORS = Counter(
    "opsbot_slack_api_errors",
    "Slack Web API calls that failed, by method and Slack error code",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_RETRIES = Counter(
    "opsbot_slack_retries",
    "Slack Web API calls retried (rate limited, server error, connection), by method and reason",
    ["method", "reason"],
    registry=REGISTRY,
)
REPORT_RUNS = Counter(
    "opsbot_report_runs",
    "Health report runs, by schedule name ('on_demand' for asked-for reports) and result",
    ["schedule", "result"],
    registry=REGISTRY,
)

METRIC_NAMES: tuple[str, ...] = (
    "opsbot_requests_total",
    "opsbot_plans_total",
    "opsbot_approval_wait_seconds",
    "opsbot_executions_total",
    "opsbot_execution_duration_seconds",
    "opsbot_llm_tokens_total",
    "opsbot_llm_cost_usd_total",
    "opsbot_slack_api_errors_total",
    "opsbot_slack_retries_total",
    "opsbot_report_runs_total",
)
"""The names as they appear in the exposition (counters get a `_total` suffix)."""


def _label(value: str | StrEnum) -> str:
    return value.value if isinstance(value, StrEnum) else str(value)


def record_request(source: str) -> None:
    REQUESTS.labels(source=source).inc()


def record_plan(decision: str | StrEnum) -> None:
    """`decision`: the policy Outcome (allow, needs_approval, deny)."""
    PLANS.labels(decision=_label(decision)).inc()


def observe_approval_wait(seconds: float) -> None:
    APPROVAL_WAIT.observe(max(seconds, 0.0))


def record_execution(
    *, operation: str, result: str | StrEnum, seconds: float | None = None
) -> None:
    """`operation`: catalog kind; `result`: the backend Status (success, error, no_data)."""
    EXECUTIONS.labels(operation=operation, result=_label(result)).inc()
    if seconds is not None:
        EXECUTION_SECONDS.labels(operation=operation).observe(max(seconds, 0.0))


def record_llm_usage(
    *, model: str, input_tokens: int, output_tokens: int, cost_usd: float = 0.0
) -> None:
    if input_tokens > 0:
        LLM_TOKENS.labels(model=model, kind="input").inc(input_tokens)
    if output_tokens > 0:
        LLM_TOKENS.labels(model=model, kind="output").inc(output_tokens)
    if cost_usd > 0:
        LLM_COST.labels(model=model).inc(cost_usd)


def record_slack_error(*, method: str, error: str) -> None:
    """`error`: Slack's error code (e.g. channel_not_found, ratelimited) or an HTTP status."""
    SLACK_API_ERRORS.labels(method=method, error=error).inc()


def record_slack_retry(*, method: str, reason: str) -> None:
    """`reason`: rate_limited, server_error or connection."""
    SLACK_RETRIES.labels(method=method, reason=reason).inc()


def record_report_run(*, schedule: str, result: str) -> None:
    """`result`: posted, skipped_healthy, failed or missed."""
    REPORT_RUNS.labels(schedule=schedule, result=result).inc()


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
