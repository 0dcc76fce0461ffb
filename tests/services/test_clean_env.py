"""The autouse `clean_env` fixture (tests/fixtures/clean_env.py): which variables it clears."""

from __future__ import annotations

import os

from bot.config import Settings
from tests.fixtures.clean_env import leaking_variables


def test_bot_settings_are_cleared_and_test_overrides_kept() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-from-a-shell",
        "OPENAI_BASE_URL": "https://api.openai.com/v1",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "REDIS_URL": "redis://prod:6379/0",
        "DOCKER_HOST": "tcp://prod:2376",
        "KUBECONFIG": "/home/me/.kube/prod",
        "OPSBOT_POLICY_PATH": "/etc/opsbot",
        "OPSBOT_TEST_REDIS_URL": "redis://127.0.0.1:6379/1",
        "OPSBOT_K8S_CACHE": "/tmp/k8s",
        "OPSBOT_REAL_CLUSTER": "/opt/real-cluster",
        "KUBECONFIG_OPSBOT_REAL": "/tmp/kubeconfig",
        "PATH": "/usr/bin",
        "HOME": "/home/me",
    }
    assert leaking_variables(environ) == [
        "DOCKER_HOST",
        "KUBECONFIG",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPSBOT_POLICY_PATH",
        "REDIS_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]


def test_a_test_sees_default_settings_whatever_the_shell_exported() -> None:
    assert leaking_variables(os.environ) == []
    settings = Settings()
    assert settings.openai_api_key is None and settings.openai_base_url is None
    assert settings.redis_url is None and settings.slack_bot_token is None
