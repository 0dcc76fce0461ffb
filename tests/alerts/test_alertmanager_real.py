"""The receiver with the REAL Alertmanager (Debian's prometheus-alertmanager): alerts posted to
its API reach the fake Slack as one message per group, with evidence from the real API server
and the runbook's fix as a preview that runs once when approved by reaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from bot.backends.kubernetes import KubernetesBackend
from bot.config import Settings
from tests.backends.test_kubernetes_real import create_deployment, revision, wait_for
from tests.fakes.slack_api import FakeSlack, Message, reaction
from tests.fixtures.alert_bot import ALERTS_CHANNEL, KUBE_CHANNEL, AlertBot
from tests.fixtures.alertmanager import RealAlertmanager
from tests.fixtures.services import RealCluster
from tests.fixtures.slack_fake import text_of


def group_posts(fake: FakeSlack, channel: str, needle: str) -> list[Message]:
    with fake._lock:
        return [
            m
            for m in fake.messages
            if m.channel == channel and m.thread_ts is None and needle in m.text
        ]


def in_thread(fake: FakeSlack, channel: str, ts: str) -> list[Message]:
    with fake._lock:
        return [m for m in fake.messages if m.channel == channel and m.thread_ts == ts]


@pytest.mark.k8s_real
def test_a_crashloop_alert_reaches_slack_once_with_evidence_and_an_approvable_rollback(
    real_k8s: RealCluster,
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
) -> None:
    ns = real_k8s.namespace("alerts")
    create_deployment(real_k8s, ns, "web", image="nginx:1.24", replicas=1)
    apps = client.AppsV1Api(real_k8s.admin())
    apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}},
    )
    wait_for("revision 2", lambda: revision(real_k8s, ns, "web") == 2)
    core = client.CoreV1Api(real_k8s.admin())
    pods = wait_for(
        "a pod of revision 2",
        lambda: [
            p.metadata.name
            for p in core.list_namespaced_pod(ns, label_selector="app=web").items
            if any(c.image == "nginx:1.25" for c in p.spec.containers)
        ],
    )
    settings = alert_settings()
    kube = KubernetesBackend(
        settings=settings.model_copy(update={"kube_timeout_seconds": 10.0, "kube_disabled": False}),
        api_client_factory=lambda ctx: real_k8s.api_client("admin"),
    )
    bot = alert_bot(settings, kubernetes=kube)
    am = alertmanager([bot.url])
    labels = {
        "alertname": "KubePodCrashLooping",
        "namespace": ns,
        "pod": pods[0],
        "container": "web",
    }
    am.fire(labels, summary="Pod is crash looping.")

    group = wait_for(
        "the group message", lambda: group_posts(fake_slack, KUBE_CHANNEL, "KubePodCrashLooping")
    )[0]
    assert "firing" in group.text
    preview = bot.harness.wait_preview(group.ts)
    assert "rollback" in text_of(preview).lower() and "web" in text_of(preview)
    evidence = wait_for(
        "evidence",
        lambda: [
            m
            for m in in_thread(fake_slack, KUBE_CHANNEL, group.ts)
            if m.text.startswith("Evidence")
        ],
    )
    assert f"describe pod/{pods[0]}" in evidence[0].text
    # the pod's status, read from the real API server as the alert principal
    assert f"Pod {ns}/{pods[0]}" in text_of(evidence[0])
    assert revision(real_k8s, ns, "web") == 2  # nothing ran by itself

    bot.harness.send_event(
        reaction(user="USRE1", name="white_check_mark", channel=KUBE_CHANNEL, ts=preview.ts)
    )
    wait_for("the rollback", lambda: revision(real_k8s, ns, "web") == 3)
    assert (
        apps.read_namespaced_deployment("web", ns).spec.template.spec.containers[0].image
        == "nginx:1.24"
    )

    am.resolve(labels)
    wait_for(
        "the resolved update",
        lambda: (
            "resolved" in (fake_slack.message(KUBE_CHANNEL, group.ts) or group).text
            and "0 firing" in (fake_slack.message(KUBE_CHANNEL, group.ts) or group).text
        ),
    )
    wait_for(
        "the resolution note",
        lambda: [
            m
            for m in in_thread(fake_slack, KUBE_CHANNEL, group.ts)
            if m.text.startswith("Resolved:")
        ],
    )
    assert len(group_posts(fake_slack, KUBE_CHANNEL, "KubePodCrashLooping")) == 1
    assert revision(real_k8s, ns, "web") == 3  # ran once


def test_two_replicas_and_repeats_make_one_post(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
) -> None:
    settings = alert_settings()
    one, two = alert_bot(settings), alert_bot(settings)
    am = alertmanager([one.url, two.url])
    labels = {"alertname": "HostDiskFull", "instance": "db-1"}
    am.fire(labels, summary="disk 97% full")
    wait_for("the post", lambda: group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull"))
    am.fire({**labels, "instance": "db-2"})  # same group, one more alert: an update
    wait_for(
        "the update",
        lambda: "2 firing" in (group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull")[0].text),
    )
    time.sleep(2.5)  # let both webhooks deliver every notification Alertmanager sends
    assert len(group_posts(fake_slack, ALERTS_CHANNEL, "HostDiskFull")) == 1


def test_a_bot_error_is_retried_by_alertmanager_and_posts_once(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    tmp_path: Any,
) -> None:
    from tests.fixtures.services import start_redis

    own = start_redis(tmp_path / "redis", appendonly=False)
    try:
        bot = alert_bot(alert_settings(redis_url=own.url))
        am = alertmanager([bot.url])
        own.stop()  # Redis away: the receiver cannot record, answers 503
        am.fire({"alertname": "QueueStuck", "queue": "mail"})
        wait_for(
            "a failed delivery in Alertmanager's log",
            lambda: "503" in am.log.read_text() or "Notify for alerts failed" in am.log.read_text(),
            timeout=15,
        )
        own.start()
        wait_for(
            "the post after the retry",
            lambda: group_posts(fake_slack, ALERTS_CHANNEL, "QueueStuck"),
            timeout=20,
        )
        time.sleep(1.5)
        assert len(group_posts(fake_slack, ALERTS_CHANNEL, "QueueStuck")) == 1
    finally:
        own.stop()


def test_alertmanager_with_a_wrong_token_is_refused(
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
) -> None:
    bot = alert_bot(alert_settings())
    am = alertmanager([bot.url], token="not-the-token")
    am.fire({"alertname": "Intruder"})
    wait_for("the 401 in Alertmanager's log", lambda: "401" in am.log.read_text(), timeout=15)
    assert group_posts(fake_slack, ALERTS_CHANNEL, "Intruder") == []
