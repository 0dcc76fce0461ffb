"""End to end through the real Bolt app (HTTP and Socket Mode) against the fake Slack, a real
OpsService on a real Redis, the real Docker daemon and the Kubernetes API test server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes import client

from tests.fakes.slack_api import FakeSlack, mention, reaction
from tests.fixtures.docker_backend import ContainerFactory
from tests.fixtures.k8s_fake import FakeK8s, backend_on
from tests.fixtures.slack_fake import (
    CHANNEL,
    SlackHarness,
    service_for,
    slack_settings,
    status_of,
    text_of,
    write_policy,
)

APPROVE, REJECT, UNDO = "white_check_mark", "x", "leftwards_arrow_with_hook"


@pytest.mark.e2e
@pytest.mark.parametrize("mode", ["http", "socket"])
def test_mention_preview_approval_execution_on_docker(
    mode: str,
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    web = containers.run("web", start=False)
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        docker_disabled=False,
        docker_hosts={"default": docker_host},
        policy_path=write_policy(tmp_path / "policy.yaml", count=1),
    )
    h = slack_harness(settings, mode=mode)
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)

    preview = h.wait_message(lambda m: m.thread_ts == ask["ts"], what="plan preview in the thread")
    shown = text_of(preview)
    assert "start_container" in shown and "write" in shown
    assert "Pending approval" in status_of(preview)
    assert "1 approval from @sre (not the requester)" in shown
    assert "Expires <!date^" in shown
    assert "`running`: False → *True*" in shown  # current -> desired from the real daemon

    def on_preview() -> list[tuple[str, str]]:
        return [
            (c.args["name"], c.args["timestamp"])
            for c in fake_slack.calls_to("reactions.add")
            if c.args["timestamp"] == preview.ts
        ]

    reactions = fake_slack.wait_for(
        lambda: len(on_preview()) >= 2 and on_preview(), what="one-click vote reactions"
    )
    assert reactions == [(APPROVE, preview.ts), (REJECT, preview.ts)]
    web.reload()
    assert web.status == "created"  # nothing ran before the approval

    h.send_event(reaction(user="USRE1", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    result = h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and m.ts != preview.ts and "Done" in text_of(m),
        what="execution result in the thread",
    )
    assert web.name in text_of(result) and "start_container" in text_of(result)
    assert f":{UNDO}:" in text_of(result)  # start is reversible: undo is offered
    web.reload()
    assert web.status == "running"
    statuses = [status_of_blocks(c.args) for c in fake_slack.calls_to("chat.update")]
    assert any("Approved, executing" in s for s in statuses), statuses
    assert "Done" in statuses[-1] and "approved by <@USRE1>" in statuses[-1]
    assert "Done" in status_of(preview)  # the preview itself now says done (updated in place)
    # rendered again from the approval in the store: its previews and expiry are still shown
    assert "`running`: False → *True*" in text_of(preview) and "Expires <!date^" in text_of(preview)


def status_of_blocks(args: dict[str, object]) -> str:
    import json

    blocks = args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert isinstance(blocks, list)
    return next(b["elements"][0]["text"] for b in blocks if b.get("block_id") == "status")


@pytest.mark.e2e
def test_two_approvals_self_unauthorized_withdraw_then_kubernetes_scale_and_undo(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    fake_k8s: FakeK8s,
    tmp_path: Path,
) -> None:
    fake_slack.add_user("USRE3", name="erin", groups=("sre",))
    fake_k8s.add_namespace("shop")
    fake_k8s.add_deployment("shop", "web", replicas=2)
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        policy_path=write_policy(tmp_path / "policy.yaml", count=2),
    )
    service = service_for(settings, kubernetes=backend_on(fake_k8s, context="admin"))
    h = slack_harness(settings, mode="http", service=service)
    ask = mention(user="USRE1", channel=CHANNEL, text="scale deploy/web --replicas 5 -n shop")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])
    assert "`replicas`: 2 → *5*" in text_of(preview)
    assert "0/2" not in status_of(preview)

    def ephemeral_to(user: str) -> str:
        found = h.wait_message(lambda m: m.ephemeral_for == user, what=f"reply to {user}")
        fake_slack.messages.remove(found)
        return found.text

    # the requester cannot approve their own plan; a developer's vote counts for nothing
    h.send_event(reaction(user="USRE1", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    assert "own request" in ephemeral_to("USRE1")
    h.send_event(reaction(user="UDEV2", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    assert "does not count" in ephemeral_to("UDEV2")
    assert preview.updates == 0  # refused votes leave the preview (and its count) untouched

    # one valid vote, withdrawn, then given again
    h.send_event(reaction(user="USRE2", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    h.wait_message(lambda m: "1/2" in text_of(m) and m.ts == preview.ts, what="1/2 in preview")
    h.send_event(reaction(user="USRE2", name=APPROVE, channel=CHANNEL, ts=preview.ts, added=False))
    h.wait_message(lambda m: "0/2" in text_of(m) and m.ts == preview.ts, what="0/2 after withdraw")
    h.send_event(reaction(user="USRE2", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    h.wait_message(lambda m: "1/2" in text_of(m) and m.ts == preview.ts, what="1/2 again")
    writes = [c for c in fake_k8s.calls("PATCH") if "dryRun" not in c.query]
    assert writes == []  # only the preview's server-side dry run so far

    h.send_event(reaction(user="USRE3", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "Done" in text_of(m) and m.ts != preview.ts,
        what="result",
    )
    apps = client.AppsV1Api(fake_k8s.api_client("admin"))
    assert apps.read_namespaced_deployment("web", "shop").spec.replicas == 5
    assert "Done" in status_of(preview)

    # undo: the inverse plan goes through policy and approval again
    h.send_event(reaction(user="USRE1", name=UNDO, channel=CHANNEL, ts=preview.ts))
    undo = h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and "Undo plan" in text_of(m), what="undo preview"
    )
    assert "Pending approval" in status_of(undo)
    assert "`replicas`: 5 → *2*" in text_of(undo)
    fake_slack.wait_for(
        lambda: [c for c in fake_slack.calls_to("reactions.add") if c.args["timestamp"] == undo.ts][
            1:
        ],
        what="undo reactions",
    )
    for approver in ("USRE2", "USRE3"):
        h.send_event(reaction(user=approver, name=APPROVE, channel=CHANNEL, ts=undo.ts))
    fake_slack.wait_for(lambda: "Done" in status_of(undo), what="undo executed")
    assert apps.read_namespaced_deployment("web", "shop").spec.replicas == 2


@pytest.mark.e2e
def test_without_a_group_map_slack_groups_grant_nothing_and_static_groups_still_approve(
    fake_slack: FakeSlack,
    slack_harness: Callable[..., SlackHarness],
    redis_url: str,
    docker_host: str,
    containers: ContainerFactory,
    tmp_path: Path,
) -> None:
    """USRE1 is in the Slack user group @sre, but OPSBOT_SLACK_GROUP_MAP is empty: that vote
    counts for nothing. USRE2 is in `sre` through the policy's static groups and approves."""
    web = containers.run("web", start=False)
    policy = write_policy(tmp_path / "policy.yaml", count=1)
    policy.write_text(policy.read_text() + "groups:\n  USRE2: [sre]\n")
    settings = slack_settings(
        fake_slack,
        redis_url=redis_url,
        docker_disabled=False,
        docker_hosts={"default": docker_host},
        policy_path=policy,
        slack_group_map={},
    )
    h = slack_harness(settings, mode="http")
    ask = mention(user="UDEV1", channel=CHANNEL, text=f"docker start {web.name}")
    h.send_event(ask)
    preview = h.wait_preview(ask["ts"])

    h.send_event(reaction(user="USRE1", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    refused = h.wait_message(lambda m: m.ephemeral_for == "USRE1", what="reply to USRE1")
    assert "does not count" in refused.text
    web.reload()
    assert web.status == "created"
    assert fake_slack.calls_to("usergroups.users.list") == []  # no Slack group was even read

    h.send_event(reaction(user="USRE2", name=APPROVE, channel=CHANNEL, ts=preview.ts))
    h.wait_message(
        lambda m: m.thread_ts == ask["ts"] and m.ts != preview.ts and "Done" in text_of(m),
        what="execution result after the static group's approval",
    )
    web.reload()
    assert web.status == "running"
