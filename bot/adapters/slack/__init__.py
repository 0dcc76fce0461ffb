"""The Slack front end: Bolt app (mentions, DMs, /ops, reaction votes) over Socket Mode or HTTP."""

from bot.adapters.slack.app import SlackBot, build_bot
from bot.adapters.slack.transport import serve_command

__all__ = ["SlackBot", "build_bot", "serve_command"]
