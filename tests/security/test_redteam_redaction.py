"""Red team, redaction (issue 9 section 4): secret shapes outside the corpus that still leaked.

The class: a secret whose NAME and VALUE sit in two fields (`name`/`key` then `value`) as in
Kubernetes env entries printed in logs, events and API errors, and .NET appSettings; and
config files that separate key and value by a space (netrc) or a flag (`docker login -p`).
"""

from __future__ import annotations

import pytest

from bot.redact import REDACTED, redact

SECRET = "Zq8vK2mLp4Xr7TnW9bYc3Hs"

LEAKS = {
    "k8s env entry as JSON (logs, events, API errors)": (
        f'env: [{{"name":"DB_PASSWORD","value":"{SECRET}"}},{{"name":"PORT","value":"80"}}]'
    ),
    "k8s env entry as YAML": f"env:\n- name: DB_PASSWORD\n  value: {SECRET}\n- name: PORT",
    "k8s env entry as YAML, quoted": f"- name: 'API_TOKEN'\n  value: \"{SECRET}\"",
    ".NET appSettings add key/value": f'<add key="DbPassword" value="{SECRET}" />',
    "netrc": f"machine api.example.com login bob password {SECRET}",
    "docker login -p": f"+ docker login -u bob -p {SECRET} registry.example.com",
    "helm registry login --password space": f"helm registry login r.io -u bob -p {SECRET}",
}


@pytest.mark.parametrize("text", list(LEAKS.values()), ids=list(LEAKS))
def test_secret_shapes_outside_the_corpus_are_hidden(text: str) -> None:
    out = redact(text)
    assert SECRET not in out, out
    assert REDACTED in out
    assert redact(out) == out


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('{"name":"PORT","value":"8080"}', '"value":"8080"'),
        ("- name: LOG_LEVEL\n  value: debug", "value: debug"),
        ('<add key="PageSize" value="50" />', 'value="50"'),
        ("podman run -p 8080:80 nginx", "-p 8080:80"),
        ("the login failed: wrong password for bob", "password for bob"),
    ],
)
def test_named_values_that_are_not_secrets_stay(text: str, kept: str) -> None:
    assert kept in redact(text)
