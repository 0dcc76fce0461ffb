"""Checking Slack settings and building the Web API client."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

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


def ensure_rate_limit_retries(client: WebClient, *, max_retries: int = 3) -> WebClient:
    """Slack answers 429 with Retry-After; wait that long and try again instead of failing."""
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_retries))
    return client


def make_web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    kwargs: dict[str, object] = {"token": token, "timeout": 15}
    if settings.slack_api_url:
        base = settings.slack_api_url
        kwargs["base_url"] = base if base.endswith("/") else base + "/"
    return ensure_rate_limit_retries(WebClient(**kwargs))  # type: ignore[arg-type]
