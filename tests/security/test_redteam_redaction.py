"""Red team, redaction (issue 9 section 4): secret shapes outside the corpus that still leaked.

The class: a secret whose NAME and VALUE sit in two fields (`name`/`key` then `value`) as in
Kubernetes env entries printed in logs, events and API errors, and .NET appSettings; and
config files that separate key and value by a space (netrc) or a flag (`docker login -p`).
"""

from __future__ import annotations

import pytest

from bot.redact import REDACTED, redact
from tests.security.secrets_corpus import ENCODING_CLEAN, ENCODING_EXAMPLES, Sample, leaked

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


@pytest.mark.parametrize("sample", ENCODING_EXAMPLES, ids=[s.format for s in ENCODING_EXAMPLES])
def test_encoded_and_file_format_secrets_are_hidden(sample: Sample) -> None:
    """HTML entities, JSON \\u escapes, pgpass lines, Secret manifests, htpasswd hashes."""
    out = redact(sample.text)
    assert not leaked(sample.secret, out), out
    assert REDACTED in out
    assert redact(out) == out


@pytest.mark.parametrize("text", ENCODING_CLEAN)
def test_text_shaped_like_those_formats_stays(text: str) -> None:
    assert redact(text) == text


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "text",
    [
        "&#61;" * 40_000,
        "password&quot;" * 15_000,
        "\\u0070" * 35_000,
        "a:1:b:c:" * 25_000,
        "$2y$10$" * 30_000,
        "kind: Secret\ndata:\n" + "  k: v\n" * 30_000,
    ],
    ids=["entities", "quot-keys", "u-escapes", "pgpass-like", "bcrypt-prefix", "secret-rows"],
)
def test_adversarial_encoded_lines_finish(text: str) -> None:
    out = redact(text)
    assert redact(out) == out


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
