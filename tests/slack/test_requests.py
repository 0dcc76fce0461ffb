"""Requests from every Slack entry point, readable results, served channels, reject, expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from tests.fakes.slack_api import FakeSlack, direct_message, mention, reaction
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.slack_fake import (
    CHANNEL,
    SlackHarness,
    run_expiry,
    service_for,
    slack_settings,
    status_of,
    text_of,
    write_policy,
)


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_slash_command_read_runs_at_once_and_starts_a_thread_with_a_table(
    mode: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    containers: ContainerFactory,
    docker_slack_settings: Callable[..., Settings],
) -> None:
    api = containers.run("api")
    settings = docker_slack_settings()
    h = slack_harness(settings, mode=mode)
    h.send_command("docker ps", user="UDEV1", channel=CHANNEL)
    message = h.wait_message(
        lambda m: m.channel == CHANNEL and "Done" in text_of(m), what="the command's result"
    )
    assert message.thread_ts is None  # a channel message: the thread starts under it
    shown = text_of(message)
    assert "<@UDEV1>: `/ops docker ps`" in shown
    table = next(
        b["text"]["text"]
        for b in message.blocks
        if b.get("text", {}).get("text", "").startswith("```")
    )
    assert api.name in table and "NAME" in table.upper()


def test_direct_message_is_answered_in_its_thread(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness], redis_url: str
) -> None:
    settings = slack_settings(fake_slack, redis_url=redis_url, slack_channels=[CHANNEL])
    h = slack_harness(settings, mode="socket")
    dm = direct_message(user="UDEV1", channel="D0DAVE", text="help")
    h.send_event(dm)
    reply = h.wait_message(lambda m: m.channel == "D0DAVE", what="DM reply")
    assert reply.thread_ts == dm["ts"]
    assert "scale" in text_of(reply)
    # the bot's own messages in the DM (Slack echoes them as message events) are ignored
    h.send_event({**dm, "bot_id": "BBOT", "user": "UBOT", "ts": "1.000001", "text": "help"})
    h.send_event({**dm, "subtype": "message_changed", "ts": "1.000002"})
    import time

    time.sleep(0.4)
    assert len([m for m in fake_slack.messages if m.channel == "D0DAVE"]) == 1


def test_a_request_shows_eyes_while_it_is_handled_and_not_after(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness], redis_url: str
) -> None:
    settings = slack_settings(fake_slack, redis_url=redis_url)
    h = slack_harness(settings, mode="http")
    ask = mention(user="UDEV1", channel=CHANNEL, text="help")
    h.send_event(ask)
    h.wait_message(lambda m: m.thread_ts == ask["ts"], what="the answer in the thread")
    fake_slack.wait_for(
        lambda: any(c.method == "reactions.remove" for c in fake_slack.calls),
        what="the working reaction removed",
    )
    on_request = [
        (c.method, c.args.get("name"))
        for c in fake_slack.calls
        if c.method.startswith("reactions.") and c.args.get("timestamp") == ask["ts"]
    ]
    assert on_request == [("reactions.add", "eyes"), ("reactions.remove", "eyes")]
    answered = next(i for i, c in enumerate(fake_slack.calls) if c.method == "chat.postMessage")
    removed = next(i for i, c in enumerate(fake_slack.calls) if c.method == "reactions.remove")
    assert answered < removed  # the indicator stays until the answer is there
    assert fake_slack.reactions[(CHANNEL, ask["ts"])] == set()


def test_unserved_channel_gets_a_polite_refusal_once(
    fake_slack: FakeSlack, slack_harness: Callable[..., SlackHarness], redis_url: str
) -> None:
    settings = slack_settings(fake_slack, redis_url=redis_url, slack_channels=[CHANNEL])
    h = slack_harness(settings, mode="http")
    ask = mention(user="UDEV1", channel="C0RANDOM", text="scale deploy/web --replicas 5 -n shop")
    event_id = h.send_event(ask)
    h.send_event(ask, event_id=event_id, retry_num=1)
    refusal = h.wait_message(lambda m: m.thread_ts == ask["ts"], what="refusal")
    assert "don't take requests in this channel" in refusal.text
    assert f"<#{CHANNEL}>" in refusal.text
    h.send_command("docker ps", user="UDEV1", channel="C0RANDOM")
    fake_slack.wait_for(lambda: fake_slack.responses, what="ephemeral answer to the command")
    assert fake_slack.responses[0]["response_type"] == "ephemeral"
    assert "don't take requests" in fake_slack.responses[0]["text"]
    import time

    time.sleep(0.3)
    assert [m.text for m in fake_slack.messages] == [refusal.text]  # no plan, no second refusal
    assert fake_slack.calls_to("users.info") == []  # the request never reached the service


def test_long_logs_are_cut_with_a_note_and_uploaded_as_a_file(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    containers: ContainerFactory,
    docker_slack_settings: Callable[..., Settings],
) -> None:
    noisy = containers.run(
        "noisy", ["sh", "-c", "for i in $(seq 1 300); do echo line-$i-abcdefghij; done; sleep 300"]
    )
    settings = docker_slack_settings(
        max_output_chars=20_000,
    )
    h = slack_harness(settings, mode="http")
    import time

    deadline = time.monotonic() + 10
    while "line-300" not in noisy.logs().decode() and time.monotonic() < deadline:
        time.sleep(0.05)
    h.send_command(f"docker logs {noisy.name} --tail 300", user="UDEV1", channel=CHANNEL)
    message = h.wait_message(lambda m: "Done" in text_of(m), what="logs result")
    shown = text_of(message)
    assert "line-300-abcdefghij" in shown  # logs keep their tail
    assert "line-1-abcdefghij\n" not in shown  # 5.9 kB of logs: more than a Slack section holds
    assert "the full output is in" in shown
    upload = fake_slack.wait_for(
        lambda: next((u for u in fake_slack.uploads.values() if u["completed"]), None),
        what="completed file upload",
    )
    assert upload["thread_ts"] == message.ts and upload["channel"] == CHANNEL
    content = upload["content"].decode()
    assert "line-1-abcdefghij" in content and "line-300-abcdefghij" in content
    assert upload["length"] == len(upload["content"])


def test_a_rejection_closes_the_plan(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    containers: ContainerFactory,
    docker_slack_settings: Callable[..., Settings],
) -> None:
    web = containers.run("web")
    settings = docker_slack_settings()
    h = slack_harness(settings, mode="socket")
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker stop {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])
    h.send_event(reaction(user="USRE1", name="x", channel=CHANNEL, ts=preview.ts))
    fake_slack.wait_for(lambda: "Rejected" in status_of(preview), what="rejected status")
    assert "rejected by <@USRE1>" in status_of(preview)
    h.send_event(reaction(user="USRE2", name="white_check_mark", channel=CHANNEL, ts=preview.ts))
    late = h.wait_message(lambda m: m.ephemeral_for == "USRE2", what="answer to a late vote")
    assert "rejected" in late.text
    web.reload()
    assert web.status == "running"


def test_expired_plans_are_marked_and_cannot_be_approved(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    web = containers.run("web", start=False)
    now = [datetime.now(UTC)]
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        docker_disabled=False,
        docker_hosts={"default": docker_host},
        policy_path=write_policy(tmp_path / "p.yaml", expires="5m"),
    )
    h = slack_harness(settings, mode="http", service=service_for(settings, clock=lambda: now[0]))
    run_expiry(h)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])
    now[0] += timedelta(minutes=6)
    fake_slack.wait_for(lambda: "Expired" in status_of(preview), what="expired status")
    notice = h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "expired" in m.text,
        what="expiry notice in the thread",
    )
    assert "nothing ran" in notice.text
    h.send_event(reaction(user="USRE1", name="white_check_mark", channel=CHANNEL, ts=preview.ts))
    late = h.wait_message(lambda m: m.ephemeral_for == "USRE1", what="answer to a late vote")
    assert "expired" in late.text
    web.reload()
    assert web.status == "created"


def test_a_container_log_cannot_ping_or_link_in_the_thread_or_the_fallback(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    containers: ContainerFactory,
    docker_slack_settings: Callable[..., Settings],
) -> None:
    """A real container logs Slack control sequences; they reach Slack escaped, in the blocks,
    the fallback text, and the private answer sent when the bot may not post in the channel."""
    import json
    import time

    hostile = "<!channel> <https://evil.example|click> & more"
    loud = containers.run("loud", ["sh", "-c", f"echo '{hostile}'; sleep 300"])
    settings = docker_slack_settings()
    h = slack_harness(settings, mode="http")
    deadline = time.monotonic() + 10
    while "evil" not in loud.logs().decode() and time.monotonic() < deadline:
        time.sleep(0.05)
    h.send_command(f"docker logs {loud.name}", user="UDEV1", channel=CHANNEL)
    message = h.wait_message(lambda m: "Done" in text_of(m), what="logs result")
    everything = message.text + json.dumps(message.blocks)
    assert "<!channel>" not in everything and "<https://evil" not in everything
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more" in text_of(message)

    fake_slack.fail("chat.postMessage", error="not_in_channel")
    h.send_command(f"docker logs {loud.name}", user="UDEV1", channel=CHANNEL)
    fake_slack.wait_for(lambda: fake_slack.responses, what="the private answer")
    answer = fake_slack.responses[0]["text"]
    assert "Invite me" in answer and "&lt;!channel&gt;" in answer, answer
    assert "<!channel>" not in answer and "<https://evil" not in answer
