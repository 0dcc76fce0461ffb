"""Secret redaction: every known format is hidden with its key kept, ordinary text is left
alone, redaction is idempotent and never raises, pathological input finishes, and pod logs are
requested with limitBytes so a huge log never arrives whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.backends.kubernetes_reads import LOG_LIMIT_FLOOR_BYTES
from bot.catalog import parse_operation
from bot.redact import MAX_LINE_SCAN, REDACTED, redact, redact_data
from tests.fixtures.k8s_fake import FakeK8s, backend_on

# (text, secret that must vanish, text that must stay)
SECRET_FORMATS = [
    ('{"password":"hunter2"}', "hunter2", '{"password":"'),
    ('{"user": "bob", "api_key": "abc123xyz"}', "abc123xyz", '"api_key": "'),
    ("{'token': 'tok-value-9'}", "tok-value-9", "'token': '"),
    ('log {\\"password\\":\\"hunter2\\"} end', "hunter2", '{\\"password\\":\\"'),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Authorization: Basic "),
    ("authorization=Bearer abcdefghijkl123", "abcdefghijkl123", "authorization=Bearer "),
    ("curl -H 'Authorization: Bearer abcdefghijkl123'", "abcdefghijkl123", "Bearer "),
    ("redis://:s3cret@cache:6379/0", "s3cret", "redis://:"),
    ("postgres://app:pw-9f8e@db.internal/orders", "pw-9f8e", "postgres://app:"),
    (
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
        "wJalrXUtnFEMI",
        "AWS_SECRET_ACCESS_KEY=",
    ),
    ("declare -x DB_PASSWORD='p a s s'", "p a s s", "DB_PASSWORD="),
    ("password = hunter2, user = bob", "hunter2", "user = bob"),
    ("spring.datasource.password: hunter2", "hunter2", "spring.datasource.password: "),
    ("--client-secret=abc.def.ghi ok", "abc.def.ghi", "--client-secret="),
    ("a=password=hunter2", "hunter2", "password="),
    ("Set-Cookie: session=abcdef0123456789", "abcdef0123456789", "Set-Cookie: "),
    ("slack xoxb-1234567890-abcdefghij", "1234567890-abcdefghij", "slack xoxb-"),
    ("key sk-abcdefghijklmnopqrstuv used", "abcdefghijklmnopqrstuv", " used"),
    ("key sk-proj-Ab3dEfGhIjKlMnOpQr used", "Ab3dEfGhIjKlMnOpQr", " used"),
    ("id AKIAABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP", "id AKIA"),
    ("gh ghp_abcdefghijklmnopqrstuvwxyz0123", "abcdefghijklmnopqrstuvwxyz0123", "gh ghp_"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz", "c2lnbmF0dXJlMTIz", "jwt "),
    ("a" * 300 + "password=hunter2", "hunter2", "password="),
]


@pytest.mark.parametrize(("text", "secret", "kept"), SECRET_FORMATS)
def test_secret_formats_are_redacted_and_keys_kept(text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out and kept in out


PEM_BODY = "MIIEowIBAAKCAQEA1x\nc2VjcmV0a2V5bWF0ZXJpYWw=\n"


def test_whole_pem_private_key_is_hidden() -> None:
    text = (
        f"before\n-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}-----END RSA PRIVATE KEY-----\nafter"
    )
    assert redact(text) == f"before\n{REDACTED}\nafter"


def test_pem_cut_at_the_start_is_hidden_up_to_its_end_line() -> None:
    # tailLines dropped the BEGIN line: everything up to END goes
    text = f"{PEM_BODY}-----END PRIVATE KEY-----\nserver started"
    out = redact(text)
    assert "c2VjcmV0a2V5bWF0ZXJpYWw" not in out and "MIIE" not in out
    assert out == f"{REDACTED}\nserver started"


def test_pem_cut_at_the_end_is_hidden_to_the_end() -> None:
    text = f"loading key\n-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}"
    out = redact(text)
    assert out == f"loading key\n{REDACTED}"


def test_public_certificates_are_not_touched() -> None:
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    assert redact(cert) == cert


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-21T10:00:00Z INFO GET /api/v1/items status=200 duration=12ms user=bob",
        "Started container web; pulled image nginx:1.27 in 3.2s",
        "connecting to redis://cache:6379/0",
        "https://example.com/path?q=1",
        "basic configuration loaded from /etc/app/config.yaml",
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", ["tokens: 42", "passwords_total 3", "# TYPE tokens_used counter"])
def test_metric_like_lines_do_not_crash(text: str) -> None:
    out = redact(text)
    assert out == redact(out)
    assert out.split(":")[0] == text.split(":")[0]  # the metric name stays readable


def test_redact_data_keeps_numbers_and_structure_under_token_keys() -> None:
    usage = {"usage": {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}}
    assert redact_data(usage) == usage
    data = {
        "token": "abc",
        "api_key": "",
        "credentials": {"user": "bob", "pw": "hunter2", "port": 5432, "tags": ["x", 1]},
        "note": "set password=hunter2 please",
        "items": [{"secret": True}, ("a", "b")],
    }
    assert redact_data(data) == {
        "token": REDACTED,
        "api_key": "",
        "credentials": {"user": REDACTED, "pw": REDACTED, "port": 5432, "tags": [REDACTED, 1]},
        "note": f"set password={REDACTED} please",
        "items": [{"secret": True}, ["a", "b"]],
    }


_pieces = st.sampled_from(
    [
        "password",
        "token",
        "Authorization",
        "Basic ",
        "Bearer ",
        "=",
        ":",
        '"',
        "'",
        "\\",
        " ",
        "\n",
        ",",
        "@",
        "://",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "sk-",
        "xoxb-",
        "eyJ",
        ".",
        "abcdefghijklmnopqrstuvwx",
        REDACTED,
    ]
)
_texts = st.one_of(
    st.text(max_size=200), st.lists(st.one_of(_pieces, st.text(max_size=8))).map("".join)
)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_redact_never_raises_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "text",
    [
        "a." * 100_000,
        "password" * 25_000,
        "password=" * 22_000,
        '"token":"' * 20_000,
        "eyJ" * 66_000,
        "://:" * 50_000,
        "Authorization: Basic " * 10_000,
        "-----END PRIVATE KEY-----" * 8_000,
        ("x" * 1000 + " token=abc\n") * 5_000,
    ],
    ids=[
        "dots",
        "password-run",
        "password-eq",
        "json-keys",
        "jwt-prefix",
        "url-prefix",
        "basic-auth",
        "pem-ends",
        "5000-lines",
    ],
)
def test_pathological_input_completes(text: str) -> None:
    out = redact(text)
    assert "token=abc" not in out
    assert redact(out) == out


@pytest.mark.timeout(10)
def test_an_overlong_line_is_cut_not_leaked() -> None:
    text = "x" * (MAX_LINE_SCAN + 10_000) + " password=hunter2\nnext line"
    out = redact(text)
    assert "hunter2" not in out and out.endswith("characters not shown]\nnext line")
    assert redact(out) == out


def test_pod_logs_are_read_with_limit_bytes(fake_k8s: FakeK8s) -> None:
    big = "\n".join(f"line {i:05d} " + "x" * 1000 for i in range(5000))  # ~5 MB
    fake_k8s.add_pod("prod", "noisy", logs=big)
    request = {"operation": "pod_logs", "namespace": "prod", "name": "noisy", "tail_lines": 5000}
    result = backend_on(fake_k8s).execute(parse_operation(request))
    sent = fake_k8s.calls("GET", "/pods/noisy/log")[-1].query
    assert int(sent["limitBytes"]) == LOG_LIMIT_FLOOR_BYTES  # 64 x max_output_chars < floor
    assert result.truncated and result.data["lines"] < 4200  # the server stopped at 4 MiB
    assert "line 00000 " in (result.text or "") or "line 04" in (result.text or "")
