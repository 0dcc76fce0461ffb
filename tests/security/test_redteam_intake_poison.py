"""Red team, poison entries: an entry given up is removed even when telling the requester
fails. Before, a give-up whose reply raised (Slack down, the channel gone) left the entry held:
it was taken over and given up again every takeover timeout, forever."""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters.slack.intake import REACTION_ADDED, SlackWork
from bot.workqueue import Delivery, RedisWorkQueue
from tests.fakes.slack_api import FakeSlack, mention, reaction
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


def test_a_vote_given_up_is_told_to_the_voter_privately(
    fake_slack: FakeSlack, redis_url: str, slack_harness: Callable[..., SlackHarness]
) -> None:
    """A reaction whose handling kept failing was given up in silence: the voter believed
    their vote counted. Now they are told, privately, to add it again."""
    harness = slack_harness(slack_settings(fake_slack, redis_url=redis_url))
    work = SlackWork(harness.bot.frontend)
    event = reaction(user="USRE1", name="white_check_mark", channel=CHANNEL, ts="1700000000.000100")
    work.give_up(
        Delivery(
            id="1-1",
            kind=REACTION_ADDED,
            payload={"event_id": "Ev1", "event": event, "bot_user_id": "UBOT"},
            attempts=4,
        )
    )
    told = fake_slack.calls_to("chat.postEphemeral")
    assert len(told) == 1
    assert told[0].args["user"] == "USRE1" and told[0].args["channel"] == CHANNEL
    assert "has not been counted" in told[0].args["text"]
    assert ":white_check_mark:" in told[0].args["text"]
