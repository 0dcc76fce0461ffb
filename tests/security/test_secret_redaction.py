"""Attack class: a secret reaches chat or the model (issue 9 section 4).

Detection is measured on the corpus in tests/security/secrets_corpus.py (planted fake secrets
in many formats, and clean text that must stay as it is); every leak the adversarial review
named and every over-redaction it found is also its own test.
"""

from __future__ import annotations

import pytest

from bot.planning.prompt import compact_inventory
from bot.planning.static_inventory import StaticInventory
from bot.redact import REDACTED, redact, redact_data
from tests.security.secrets_corpus import (
    CLEAN_SAMPLES,
    ISSUE_EXAMPLES,
    SECRET_SAMPLES,
    Sample,
    leaked,
    measure,
)


def test_corpus_is_large_and_varied() -> None:
    assert len(SECRET_SAMPLES) >= 300
    assert len({s.format for s in SECRET_SAMPLES}) >= 50
    assert len(CLEAN_SAMPLES) >= 300


def test_recall_and_false_positive_rate_meet_the_targets() -> None:
    recall, false_positives, missed, changed = measure(redact)
    shown = [f"{s.format}: {s.text!r}" for s in missed[:10]]
    assert recall >= 0.99, f"recall {recall:.3f}; missed: {shown}"
    assert false_positives <= 0.01, f"false positives {false_positives:.3f}: {changed[:10]}"


@pytest.mark.parametrize("sample", ISSUE_EXAMPLES, ids=[s.format for s in ISSUE_EXAMPLES])
def test_every_leak_named_in_the_issue_is_closed(sample: Sample) -> None:
    out = redact(sample.text)
    assert not leaked(sample.secret, out), out
    assert REDACTED in out
    assert redact(out) == out


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("password:\n  Zq8-unshown-9x\nport: 5432", "port: 5432"),
        ("password: |\n  Bl0ck-scalar-pw\n  second-line-x\nuser: bob", "user: bob"),
        ('{\n  "password":\n    "Multi-Line-Json-7"\n}', '"password":'),
        ("mysql -uroot -pDashP-Secret7 shop", "shop"),
        ("<password>Xml-Pass-42</password>", "</password>"),
    ],
)
def test_multi_line_and_shaped_secrets_keep_their_surroundings(text: str, kept: str) -> None:
    out = redact(text)
    assert kept in out
    assert "second-line-x" not in out


@pytest.mark.parametrize(
    "text",
    [
        "Deployment prod/auth-api: ready 2/2, up-to-date 2, available 2, revision 3",
        "- container auth-api: ghcr.io/acme/auth-api:1.4.0, running, ready=True, restarts=0",
        "pods in token-service: token-service-7f9c8d6b5-x2x9q",
        "deployments in secret-store: vault, secret-store",
        'MountVolume.SetUp failed for volume "auth-token-abcde" : secret "auth-token" not found',
        "  at com.acme.auth.TokenService.refresh(TokenService.java:42)",
        "secretName: tls-auth-api",
        "prompt_tokens=123 completion_tokens=45 total_tokens=168",
        "auth_enabled: true\ntoken_ttl_seconds: 3600",
        'WWW-Authenticate: Bearer realm="api"',
        "connecting to redis://cache.secret-store.svc:6379/0",
        "docker run -p 8080:80 -u 1000:1000 -d nginx:1.27",
    ],
)
def test_names_that_merely_contain_secret_words_stay_visible(text: str) -> None:
    assert redact(text) == text


def test_namespaces_named_with_auth_token_secret_stay_in_the_models_inventory() -> None:
    inventory = StaticInventory(
        deployments={
            "auth": ["auth-api"],
            "token-service": ["token-service", "token-api"],
            "secret-store": ["vault"],
        },
        pods={"auth": ["auth-api-7f9c8d6b5-x2x9q"]},
    )
    block = compact_inventory(
        inventory,
        text="why is auth-api failing, and token-api, token-service and vault in secret-store",
        allowed_namespaces=["*"],
    )
    assert REDACTED not in block
    for name in ("auth", "token-service", "secret-store", "auth-api", "token-api", "vault"):
        assert name in block
    assert "auth-api-7f9c8d6b5-x2x9q" in block


def test_secret_named_keys_in_structured_data_are_hidden_and_names_are_not() -> None:
    labels = {
        "com.example.db.password": "Lab3l-Pass",
        "app": "auth-api",
        "com.example.token-service": "enabled",
        "secretName": "tls-auth-api",
        "config": "url=postgres://app:Url-Pass-1@db/app",
    }
    out = redact_data(labels)
    assert out["com.example.db.password"] == REDACTED
    assert out["app"] == "auth-api"
    assert out["com.example.token-service"] == "enabled"
    assert out["secretName"] == "tls-auth-api"
    assert "Url-Pass-1" not in out["config"]
