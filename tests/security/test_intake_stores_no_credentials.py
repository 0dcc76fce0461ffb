"""What the receiver records in the work queue is kept in Redis (and read by every worker):
no credential Slack sends along may be stored. A slash command's form carries Slack's
deprecated verification `token`; requests are verified by their signature before they are
recorded, so the token is dropped, not stored."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.intake import register_recorders
from bot.redis_url import connect
from bot.workqueue import RedisWorkQueue
from tests.fakes.slack_api import FakeSlack, command_payload, event_body, mention

SECRET = "recorder-secret"


def _signed(body: str, content_type: str) -> BoltRequest:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return BoltRequest(
        body=body,
        headers={
            "content-type": [content_type],
            "x-slack-request-timestamp": [ts],
            "x-slack-signature": [signature],
        },
    )


def test_recorded_requests_hold_no_verification_token(
    fake_slack: FakeSlack, redis_url: str
) -> None:
    client = connect(redis_url)
    queue = RedisWorkQueue(client, prefix=f"cred{uuid.uuid4().hex[:10]}")
    app = App(
        client=WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    register_recorders(app, queue)
    form = command_payload(text="help", user="UDEV1", channel="C0OPS")
    event = event_body(mention(user="UDEV1", channel="C0OPS", text="help"))
    for body, ctype in (
        (urlencode(form), "application/x-www-form-urlencoded"),
        (json.dumps(event), "application/json"),
    ):
        response = app.dispatch(_signed(body, ctype))
        assert response.status == 200, response.body

    entries = client.xrange(queue.stream)
    assert len(entries) == 2
    stored = " ".join(str(fields) for _, fields in entries)
    assert "help" in stored  # the requests themselves are recorded
    assert form["token"] not in stored
    assert event["token"] not in stored
