"""The fake Slack enforces Slack's message limits, so a reply the product builds too big fails
here as it would in production (answered through the real slack_sdk client)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlack


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def _section(chars: int) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * chars}}


def _header(chars: int) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": "h" * chars}}


@pytest.mark.parametrize(
    ("text", "blocks", "error"),
    [
        ("too many blocks", [_section(5)] * 51, "invalid_blocks"),
        ("long section", [_section(3001)], "invalid_blocks"),
        ("empty section", [_section(0)], "invalid_blocks"),
        ("long header", [_header(151)], "invalid_blocks"),
        ("x" * 40_001, [], "msg_too_long"),
    ],
    ids=["51-blocks", "section-3001", "section-empty", "header-151", "text-40001"],
)
def test_messages_over_slacks_limits_are_refused(
    fake_slack: FakeSlack, text: str, blocks: list[dict[str, Any]], error: str
) -> None:
    slack = _client(fake_slack)
    with pytest.raises(SlackApiError) as refused:
        slack.chat_postMessage(channel="C-ops", text=text, blocks=blocks or None)
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == error
    assert fake_slack.messages == []

    posted = slack.chat_postMessage(channel="C-ops", text="ok")
    with pytest.raises(SlackApiError) as update_refused:
        slack.chat_update(channel="C-ops", ts=posted["ts"], text=text, blocks=blocks or None)
    assert update_refused.value.response["error"] == error


def test_messages_at_the_limits_are_accepted(fake_slack: FakeSlack) -> None:
    blocks = [_header(150), *[_section(3000)] * 49]
    posted = _client(fake_slack).chat_postMessage(channel="C-ops", text="y" * 40_000, blocks=blocks)
    assert posted["ok"] is True
    [message] = fake_slack.messages
    assert len(message.blocks) == 50 and len(message.text) == 40_000
