"""`opsbot serve --platform both`: one service and one sweep for Slack (the fake Slack server)
and Matrix (a real Synapse). The sweep claims expired approvals of both platforms; each must
get its notice on its own platform (a Slack-only sweep used to claim Matrix approvals and
drop them). Two deployments (Slack-only and Matrix-only) sharing Redis and key prefix each close
only their own platform's approvals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.adapters.matrix.bot import MatrixCloser, start_beside
from bot.adapters.principals import PrincipalsByPlatform
from bot.adapters.slack.app import user_directory
from bot.adapters.slack.setup import make_web_client
from bot.adapters.sweep import SweepResult, SweepRouter
from bot.approvals.models import ApprovalState
from bot.models import MessageRef
from bot.wiring import build
from tests.fakes.slack_api import FakeSlack, mention
from tests.fixtures.services import _wait_until
from tests.fixtures.slack_fake import CHANNEL, SlackHarness, slack_settings, status_of
from tests.matrix.conftest import MatrixWorld, body_of


def test_one_sweep_posts_each_expiry_notice_on_its_own_platform(
    world: MatrixWorld,
    container: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
) -> None:
    m = world.settings
    settings = slack_settings(
        fake_slack,
        policy_path=m.policy_path,
        redis_url=m.redis_url,
        key_prefix=m.key_prefix,
        docker_disabled=False,
        docker_hosts=m.docker_hosts,
        matrix_homeserver=m.matrix_homeserver,
        matrix_user_id=m.matrix_user_id,
        matrix_access_token=m.matrix_access_token,
        matrix_rooms=m.matrix_rooms,
    )
    now = [datetime.now(UTC)]
    users = user_directory(settings, make_web_client(settings))
    wiring = build(settings, clock=lambda: now[0], principals=PrincipalsByPlatform(slack=users))
    slack = slack_harness(settings, service=wiring.service)
    matrix = start_beside(settings, wiring)
    world.bots.append(matrix)
    assert _wait_until(lambda: matrix.bot.state.since() is not None or not matrix.alive, timeout=60)
    assert matrix.alive, f"the Matrix bot stopped: {matrix.error}"
    router = SweepRouter(
        wiring.service,
        {"slack": slack.bot.frontend, "matrix": MatrixCloser(matrix)},
        interrupted_after_seconds=settings.interrupted_after_seconds,
    )

    request = world.people.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    ask = mention(user="USRE1", channel=CHANNEL, text=f"docker restart {container}")
    slack.send_event(ask)
    slack_preview = slack.wait_preview(ask["ts"])
    # the Slack preview is bound when its vote reactions are added; the Matrix one before
    assert wiring.service.approval_for_message(
        MessageRef(platform="matrix", channel=world.room, ts=preview["event_id"])
    )

    now[0] += timedelta(minutes=11)  # both approvals expire after 10 minutes
    result = router.once()

    assert (result.expired, result.unrouted) == (2, 0)
    notice = world.wait_in_thread(
        request, lambda e: "expired before it got enough approvals" in body_of(e), what="notice"
    )
    assert notice["content"]["msgtype"] == "m.notice"
    world.wait_edit(preview["event_id"], "EXPIRED")
    fake_slack.wait_for(lambda: "Expired" in status_of(slack_preview), what="Slack status")
    slack.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "expired before it got enough" in m.text,
        what="the Slack expiry notice",
    )
    # each notice went to its own platform only
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == world.room
    ]


def test_a_slack_only_and_a_matrix_only_deployment_on_one_prefix_each_close_their_own(
    world: MatrixWorld,
    container: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
) -> None:
    """Two deployments, one Redis and key prefix: each sweep closes only its platform's
    approvals (a Slack-only sweep used to take the Matrix one and drop its notice)."""
    m = world.settings
    slack_only = slack_settings(
        fake_slack,
        policy_path=m.policy_path,
        redis_url=m.redis_url,
        key_prefix=m.key_prefix,
        docker_disabled=False,
        docker_hosts=m.docker_hosts,
    )
    now = [datetime.now(UTC)]
    users = user_directory(slack_only, make_web_client(slack_only))
    slack_wiring = build(
        slack_only, clock=lambda: now[0], principals=PrincipalsByPlatform(slack=users)
    )
    slack = slack_harness(slack_only, service=slack_wiring.service)
    matrix_wiring = build(m, clock=lambda: now[0])
    matrix = start_beside(m, matrix_wiring)
    world.bots.append(matrix)
    assert _wait_until(lambda: matrix.bot.state.since() is not None or not matrix.alive, timeout=60)
    slack_sweep = SweepRouter(
        slack_wiring.service, {"slack": slack.bot.frontend}, interrupted_after_seconds=900
    )
    matrix_sweep = SweepRouter(
        matrix_wiring.service, {"matrix": MatrixCloser(matrix)}, interrupted_after_seconds=900
    )
    request = world.people.alice.say(world.room, f"!ops docker restart {container}")
    preview = world.wait_in_thread(request, lambda e: "PENDING" in body_of(e), what="a preview")
    ask = mention(user="USRE1", channel=CHANNEL, text=f"docker restart {container}")
    slack.send_event(ask)
    slack_preview = slack.wait_preview(ask["ts"])
    matrix_message = MessageRef(platform="matrix", channel=world.room, ts=preview["event_id"])
    now[0] += timedelta(minutes=11)

    assert slack_sweep.once() == SweepResult(expired=1, interrupted=0, unrouted=0)
    left = slack_wiring.service.approval_for_message(matrix_message)
    assert left is not None and left.state is ApprovalState.PENDING  # left for its own sweep
    fake_slack.wait_for(lambda: "Expired" in status_of(slack_preview), what="Slack status")
    assert matrix_sweep.once() == SweepResult(expired=1, interrupted=0, unrouted=0)
    world.wait_in_thread(
        request, lambda e: "expired before it got enough approvals" in body_of(e), what="notice"
    )
    world.wait_edit(preview["event_id"], "EXPIRED")
