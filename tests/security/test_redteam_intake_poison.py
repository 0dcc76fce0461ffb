"""Red team, poison entries: an entry given up is removed even when telling the requester
fails. Before, a give-up whose reply raised (Slack down, the channel gone) left the entry held:
it was taken over and given up again every takeover timeout, forever."""

from __future__ import annotations

from collections.abc import Callable

from bot.workqueue import RedisWorkQueue
from tests.fakes.slack_api import FakeSlack, mention
from tests.fixtures.slack_fake import CHANNEL, SlackHarness, slack_settings, wait

GAVE_UP = "I could not handle this request"


def test_a_give_up_whose_reply_fails_is_not_retried_forever(
    fake_slack: FakeSlack, redis_url: str, slack_harness: Callable[..., SlackHarness]
) -> None:
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        intake_claim_after_seconds=1,
        intake_max_attempts=1,
    )
    harness = slack_harness(settings)
    queue = harness.bot.queue
    assert isinstance(queue, RedisWorkQueue)
    # every post fails: the answer (so the entry is retried) and the give-up notice too
    fake_slack.fail("chat.postMessage", error="internal_error", times=1000)
    harness.send_event(mention(user="UDEV1", channel=CHANNEL, text="<@UBOT> help"))

    def give_ups() -> int:
        return sum(
            1 for c in fake_slack.calls_to("chat.postMessage") if GAVE_UP in str(c.args.get("text"))
        )

    wait(lambda: give_ups() >= 1, timeout=15, what="the give-up notice")
    wait(lambda: queue.backlog() == (0, 0), timeout=10, what="the given-up entry removed")
    assert give_ups() == 1
