"""The README's paste-ready alertmanager.yml receivers (bearer token and basic auth), run as
written by the REAL Alertmanager against a bot holding the same secret: each delivers, and the
same receiver with a wrong secret is refused (401 in Alertmanager's log, nothing posted)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from tests.alerts.test_alertmanager_real import group_posts
from tests.backends.test_kubernetes_real import wait_for
from tests.fakes.slack_api import FakeSlack
from tests.fixtures.alert_bot import ALERTS_CHANNEL, AlertBot
from tests.fixtures.alertmanager import RealAlertmanager
from tests.fixtures.ship import ROOT

SECRET = "pw-0d6b71"  # the token, or the basic-auth password


def readme_receivers() -> dict[str, dict[str, Any]]:
    """The alertmanager.yml receivers the README's alerts section shows, by auth kind."""
    text = (ROOT / "README.md").read_text()
    start = text.index("## Alerts from Alertmanager")
    section = text[start : text.index("\n## ", start + 1)]
    found: dict[str, dict[str, Any]] = {}
    for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL):
        loaded = yaml.safe_load(block)
        if isinstance(loaded, dict) and "receivers" in loaded:
            (receiver,) = loaded["receivers"]
            http_config = receiver["webhook_configs"][0]["http_config"]
            found["basic" if "basic_auth" in http_config else "bearer"] = receiver
    return found


def pointed_at(receiver: dict[str, Any], url: str, secret_dir: Path, secret: str) -> dict[str, Any]:
    """The receiver as written, with its URL and its secret files made real for this test."""
    webhook = dict(receiver["webhook_configs"][0])
    assert webhook["url"] == "http://opsbot:9095/alertmanager"
    webhook["url"] = url
    http_config = dict(webhook["http_config"])
    for key in ("authorization", "basic_auth"):
        if key in http_config:
            section = dict(http_config[key])
            for file_key in ("credentials_file", "password_file"):
                if file_key in section:
                    path = secret_dir / Path(section[file_key]).name
                    path.write_text(secret + "\n")  # as `kubectl create secret` files often end
                    section[file_key] = str(path)
            http_config[key] = section
    webhook["http_config"] = http_config
    return {**receiver, "webhook_configs": [webhook]}


def bot_settings(kind: str, receiver: dict[str, Any]) -> dict[str, Any]:
    if kind == "bearer":
        return {"alerts_token": SECRET}
    user = receiver["webhook_configs"][0]["http_config"]["basic_auth"]["username"]
    return {"alerts_token": None, "alerts_basic_user": user, "alerts_basic_password": SECRET}


def test_the_readme_shows_both_receivers() -> None:
    assert sorted(readme_receivers()) == ["basic", "bearer"]


@pytest.mark.parametrize("kind", ["bearer", "basic"])
def test_the_readme_receiver_delivers_with_the_right_secret_and_not_with_a_wrong_one(
    kind: str,
    fake_slack: FakeSlack,
    alert_settings: Callable[..., Settings],
    alert_bot: Callable[..., AlertBot],
    alertmanager: Callable[..., RealAlertmanager],
    tmp_path: Path,
) -> None:
    receiver = readme_receivers()[kind]
    bot = alert_bot(alert_settings(**bot_settings(kind, receiver)))
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.mkdir()
    wrong.mkdir()

    refused = alertmanager(receiver=pointed_at(receiver, bot.url, wrong, "not-" + SECRET))
    refused.fire({"alertname": f"Refused{kind}"})
    wait_for("the 401 in Alertmanager's log", lambda: "401" in refused.log.read_text(), timeout=15)

    am = alertmanager(receiver=pointed_at(receiver, bot.url, right, SECRET))
    am.fire({"alertname": f"Delivered{kind}"}, summary="through the README's http_config")
    wait_for("the post", lambda: group_posts(fake_slack, ALERTS_CHANNEL, f"Delivered{kind}"))
    assert group_posts(fake_slack, ALERTS_CHANNEL, f"Refused{kind}") == []
