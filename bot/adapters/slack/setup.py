"""Checking Slack settings and building the Web API client."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import metrics
from bot.config import Settings

MODES = ("socket", "http")


class SlackSettingsError(ValueError):
    """Slack cannot start: the message names every missing or malformed setting."""


def check_settings(settings: Settings, *, mode: str) -> None:
    if mode not in MODES:
        raise SlackSettingsError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
    problems: list[str] = []
    if settings.slack_bot_token is None:
        problems.append(
            "SLACK_BOT_TOKEN is not set (the bot token, xoxb-..., from OAuth & Permissions)"
        )
    elif not settings.slack_bot_token.get_secret_value().startswith("xoxb-"):
        problems.append(
            "SLACK_BOT_TOKEN does not look like a bot token (it should start with xoxb-)"
        )
    if mode == "socket":
        if settings.slack_app_token is None:
            problems.append(
                "SLACK_APP_TOKEN is not set (an app-level token, xapp-..., with connections:write; "
                "or run with --mode http)"
            )
        elif not settings.slack_app_token.get_secret_value().startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN does not look like an app-level token (xapp-...)")
    if mode == "http" and settings.slack_signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is not set (Basic Information -> App Credentials); "
            "HTTP mode verifies every request with it"
        )
    if problems:
        raise SlackSettingsError(
            f"cannot start the Slack app in {mode} mode:\n  - " + "\n  - ".join(problems)
        )


class CountingRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Waits out Slack's Retry-After like its parent, and counts each retry in the metrics."""

    def prepare_for_next_attempt(self, **kwargs: Any) -> None:
        request = kwargs.get("request")
        url = str(getattr(request, "url", "") or "")
        metrics.record_slack_retry(method=url.rstrip("/").rsplit("/", 1)[-1], reason="ratelimited")
        super().prepare_for_next_attempt(**kwargs)


class InstrumentedWebClient(WebClient):
    """A WebClient that counts Slack API errors (`ok: false` answers) by method and error."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            metrics.record_slack_error(method=api_method, error=str(exc.response.get("error")))
            raise


def ensure_rate_limit_retries(client: WebClient, *, max_retries: int = 3) -> WebClient:
    """Slack answers 429 with Retry-After; wait that long and try again instead of failing."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(CountingRateLimitRetryHandler(max_retry_count=max_retries))
    return client


def make_web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    kwargs: dict[str, object] = {"token": token, "timeout": 15}
    if settings.slack_api_url:
        base = settings.slack_api_url
        kwargs["base_url"] = base if base.endswith("/") else base + "/"
    return ensure_rate_limit_retries(InstrumentedWebClient(**kwargs))  # type: ignore[arg-type]
