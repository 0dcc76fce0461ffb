"""The redaction corpus: planted (fake) secrets in many formats and shapes, and clean text.

Generated deterministically from a fixed seed: no real secret is in here, only values with
the shape of one. `SECRET_SAMPLES` are (format, text, secret) triples: after redaction no
large piece of `secret` may remain. `CLEAN_SAMPLES` must come out of redaction unchanged.
Used by tests/security/test_secret_redaction.py and bench/bench_redact.py.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable
from typing import NamedTuple

_R = random.Random(20260921)
UP, LOW, DIG = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UP + LOW + DIG
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "-_"
PW_CHARS = ALNUM + "!#%^*_+-.~"
PER_FORMAT = 6


class Sample(NamedTuple):
    format: str
    text: str
    secret: str


def rs(chars: str, n: int) -> str:
    return "".join(_R.choice(chars) for _ in range(n))


def mixed(chars: str, n: int) -> str:
    """A random string with at least one upper, lower and digit (so it is not hex)."""
    while True:
        s = rs(chars, n)
        if (
            any(c.isupper() for c in s)
            and any(c.islower() for c in s)
            and any(c.isdigit() for c in s)
        ):
            return s


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def password() -> str:
    kind = _R.randrange(3)
    if kind == 0:
        return _R.choice(["hunter", "winter", "dragon", "Summer", "orange"]) + rs(DIG, 3) + "!"
    if kind == 1:
        return mixed(PW_CHARS, _R.randrange(12, 24))
    return mixed(ALNUM, 16)


def user() -> str:
    return _R.choice(["app", "admin", "svc_orders", "bob", "root", "deploy"])


# ---------------------------------------------------------------- provider token formats
# (format, make token, prefix that may stay visible)
TOKENS: list[tuple[str, Callable[[], str], str]] = [
    ("aws-access-key-id", lambda: "AKIA" + rs(UP + "234567", 16), "AKIA"),
    ("aws-sts-key-id", lambda: "ASIA" + rs(UP + "234567", 16), "ASIA"),
    ("github-classic", lambda: "ghp_" + rs(ALNUM, 36), "ghp_"),
    ("github-oauth", lambda: "gho_" + rs(ALNUM, 36), "gho_"),
    ("github-app", lambda: _R.choice(["ghs_", "ghu_", "ghr_"]) + rs(ALNUM, 36), "gh"),
    (
        "github-fine-grained",
        lambda: "github_pat_" + rs(ALNUM, 22) + "_" + rs(ALNUM, 59),
        "github_pat_",
    ),
    ("gitlab-pat", lambda: "glpat-" + rs(URLSAFE, 20), "glpat-"),
    ("slack-bot", lambda: f"xoxb-{rs(DIG, 12)}-{rs(DIG, 13)}-{rs(ALNUM, 24)}", "xoxb-"),
    (
        "slack-user",
        lambda: f"xoxp-{rs(DIG, 12)}-{rs(DIG, 12)}-{rs(DIG, 13)}-{rs(HEX, 32)}",
        "xoxp-",
    ),
    ("slack-app", lambda: f"xapp-1-{rs(UP + DIG, 11)}-{rs(DIG, 13)}-{rs(HEX, 64)}", "xapp-"),
    (
        "slack-webhook",
        lambda: (
            f"https://hooks.slack.com/services/T{rs(UP + DIG, 8)}/"
            f"B{rs(UP + DIG, 10)}/{rs(ALNUM, 24)}"
        ),
        "https://hooks.slack.com/services/",
    ),
    (
        "discord-webhook",
        lambda: f"https://discord.com/api/webhooks/{rs(DIG, 18)}/{rs(URLSAFE, 68)}",
        "https://discord.com/api/webhooks/",
    ),
    ("stripe-secret", lambda: "sk_live_" + rs(ALNUM, 24), "sk_live_"),
    ("stripe-restricted", lambda: "rk_live_" + rs(ALNUM, 24), "rk_live_"),
    ("stripe-test", lambda: "sk_test_" + rs(ALNUM, 24), "sk_test_"),
    ("stripe-webhook", lambda: "whsec_" + rs(ALNUM, 32), "whsec_"),
    ("google-api-key", lambda: "AIza" + rs(URLSAFE, 35), "AIza"),
    ("google-oauth-secret", lambda: "GOCSPX-" + rs(URLSAFE, 28), "GOCSPX-"),
    ("sendgrid", lambda: f"SG.{rs(URLSAFE, 22)}.{rs(URLSAFE, 43)}", "SG."),
    ("twilio-api-key", lambda: "SK" + rs(HEX, 32), "SK"),
    ("npm", lambda: "npm_" + rs(ALNUM, 36), "npm_"),
    ("pypi", lambda: "pypi-AgEIcHlwaS5vcmc" + rs(URLSAFE, 60), "pypi-"),
    ("openai-legacy", lambda: "sk-" + rs(ALNUM, 48), "sk-"),
    ("openai-project", lambda: "sk-proj-" + rs(URLSAFE, 64), "sk-"),
    ("anthropic", lambda: "sk-ant-api03-" + rs(URLSAFE, 80), "sk-"),
    ("huggingface", lambda: "hf_" + rs(ALNUM, 34), "hf_"),
    ("vault", lambda: "hvs." + rs(URLSAFE, 24), "hvs."),
    ("shopify", lambda: "shpat_" + rs(HEX, 32), "shpat_"),
    ("digitalocean", lambda: "dop_v1_" + rs(HEX, 64), "dop_v1_"),
    ("mailgun", lambda: "key-" + rs(HEX, 32), "key-"),
    ("telegram-bot", lambda: f"{rs(DIG, 9)}:AA{rs(URLSAFE, 33)}", ""),
    ("age-secret-key", lambda: "AGE-SECRET-KEY-1" + rs(UP + DIG, 58), "AGE-SECRET-KEY-"),
    (
        "jwt",
        lambda: (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + "eyJ"
            + rs(URLSAFE, 40)
            + "."
            + rs(URLSAFE, 43)
        ),
        "eyJ",
    ),
    ("aws-secret-key-bare", lambda: mixed(B64, 40), ""),
]
TOKEN_CONTEXTS = [
    "{t}",
    "2026-11-21T10:00:00Z INFO uploading with {t} to the bucket",
    '["run", "{t}"]',
    "value '{t}' rejected by upstream",
    "retrying call (attempt 2) {t}",
    "{t},next-field",
]

# ---------------------------------------------------------------- passwords in config / CLI
KEYS = [
    "password",
    "db_password",
    "DB_PASSWORD",
    "spring.datasource.password",
    "adminPassword",
    "passwd",
    "passphrase",
    "client_secret",
    "secret",
    "api_key",
    "apiKey",
    "access_token",
    "auth_token",
    "AWS_SECRET_ACCESS_KEY",
    "x-api-key",
    "pwd",
    "SLACK_SIGNING_SECRET",
    "privateKey",
    "credentials",
    "authToken",
]
ENV_KEYS = ["MYSQL_PWD", "PGPASSWORD", "DB_PASS", "REDIS_PASSWORD", "API_TOKEN", "ROOT_PASSWORD"]
FLAGS = ["db-pass", "password", "client-secret", "api-key", "token", "admin-password"]


def _key() -> str:
    return _R.choice(KEYS)


def _shape(name: str, build: Callable[[], tuple[str, str]]) -> list[Sample]:
    return [Sample(name, *build()) for _ in range(PER_FORMAT)]


def _pw(template: str, **extra: str) -> Callable[[], tuple[str, str]]:
    def build() -> tuple[str, str]:
        p = password()
        return template.format(
            k=_key(), p=p, K=_R.choice(ENV_KEYS), f=_R.choice(FLAGS), u=user(), **extra
        ), p

    return build


def _pem(kind: str) -> Callable[[], tuple[str, str]]:
    def build() -> tuple[str, str]:
        body = "\n".join(rs(B64, 64) for _ in range(6))
        return (
            f"loading key\n-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\nkey loaded",
            body,
        )

    return build


def _putty() -> tuple[str, str]:
    priv = "\n".join(rs(B64, 64) for _ in range(4))
    text = (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@ci\n"
        f"Public-Lines: 2\n{rs(B64, 64)}\n{rs(B64, 20)}\nPrivate-Lines: 4\n{priv}\n"
        f"Private-MAC: {rs(HEX, 64)}\nnext log line"
    )
    return text, priv


def _gcp_json() -> tuple[str, str]:
    body = "\\n".join(rs(B64, 64) for _ in range(5))
    text = (
        '{"type": "service_account", "project_id": "acme-prod", "private_key": '
        f'"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n", '
        '"client_email": "bot@acme-prod.iam.gserviceaccount.com"}'
    )
    return text, body


def _basic() -> tuple[str, str]:
    cred = b64(f"{user()}:{password()}".encode())
    return f"GET /api HTTP/1.1\nAuthorization: Basic {cred}\nAccept: */*", cred


def _bearer() -> tuple[str, str]:
    tok = mixed(URLSAFE + ".", 40)
    return _R.choice(
        ["Authorization: Bearer {t}", "curl -H 'authorization: bearer {t}' https://api"]
    ).format(t=tok), tok


def _docker_auth() -> tuple[str, str]:
    cred = b64(f"{user()}:{password()}".encode())
    return '{"auths":{"registry.example.com":{"auth":"' + cred + '"}}}', cred


def _k8s_secret_data() -> tuple[str, str]:
    cred = b64(password().encode())
    return f"apiVersion: v1\nkind: Secret\ndata:\n  password: {cred}\n  username: YWRtaW4=\n", cred


def _b64_blob() -> tuple[str, str]:
    inner = _R.choice(
        ["password={p}", "DB_PASSWORD: {p}", "token={p}", "postgres://app:{p}@db/app"]
    )
    blob = b64(inner.format(p=password()).encode())
    return _R.choice(
        ["config={b}", "label payload {b} attached", 'args: ["--config", "{b}"]']
    ).format(b=blob), blob


def _b64_after_key() -> tuple[str, str]:
    blob = b64(rs(ALNUM, 30).encode())
    return f"{_R.choice(['secret', 'DB_PASSWORD_B64', 'token', 'encryption_key'])}: {blob}", blob


def _entropy_after_key() -> tuple[str, str]:
    v = _R.choice([rs(HEX, 40), mixed(B64, 44), mixed(URLSAFE, 32)])
    k = _R.choice(
        [
            "client_secret",
            "signing_key",
            "encryption_key",
            "master_key",
            "app_key",
            "secret_key_base",
        ]
    )
    return _R.choice(["{k} = {v}", "{k}: '{v}'", "{k}={v}"]).format(k=k, v=v), v


def _azure_conn() -> tuple[str, str]:
    key = mixed(B64, 86) + "=="
    return (
        f"DefaultEndpointsProtocol=https;AccountName=acme{rs(LOW, 5)};AccountKey={key};"
        "EndpointSuffix=core.windows.net",
        key,
    )


def _azure_sb() -> tuple[str, str]:
    key = mixed(B64, 43) + "="
    return (
        f"Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={key}",
        key,
    )


def _azure_sas() -> tuple[str, str]:
    sig = mixed(ALNUM, 40) + "%3D"
    return (
        _R.choice(
            [
                "https://acme.blob.core.windows.net/c/f.txt?sv=2021-06-08&ss=b&sp=r&se=2026-12-01T00:00:00Z&sig={s}",
                "SharedAccessSignature=sv=2021-06-08&ss=b&srt=sco&sp=rl&sig={s}",
            ]
        ).format(s=sig),
        sig,
    )


def _curl_user() -> tuple[str, str]:
    p = password()
    return _R.choice(
        ["curl -u {u}:{p} https://api.example.com", "curl --user {u}:{p} -X POST https://h"]
    ).format(u=user(), p=p), p


PASSWORD_SHAPES: list[tuple[str, Callable[[], tuple[str, str]]]] = [
    ("yaml-key-value", _pw("config:\n  {k}: {p}\n  port: 5432")),
    ("yaml-quoted", _pw('{k}: "{p}"')),
    ("value-on-next-line-yaml", _pw("db:\n  {k}:\n    {p}\n  host: db")),
    ("value-on-next-line-log", _pw("Enter {k}:\n{p}\nlogin ok")),
    ("yaml-block-literal", _pw("{k}: |\n  {p}\n  {p}2\nport: 80")),
    ("yaml-block-folded", _pw("{k}: >-\n    {p}\nnext: x")),
    ("json-one-line", _pw('{{"user":"{u}","{k}":"{p}","port":5432}}')),
    ("json-escaped-in-log", _pw('level=info msg="{{\\"user\\":\\"{u}\\",\\"{k}\\":\\"{p}\\"}}"')),
    ("json-multi-line", _pw('{{\n  "user": "{u}",\n  "{k}": "{p}",\n  "port": 5432\n}}')),
    ("json-value-next-line", _pw('{{\n  "{k}":\n    "{p}"\n}}')),
    ("python-dict", _pw("settings {{'user': '{u}', '{k}': '{p}'}}")),
    ("xml-element", _pw("<config><user>{u}</user><password>{p}</password></config>")),
    (
        "xml-element-multi-line",
        _pw("<datasource>\n  <password>\n    {p}\n  </password>\n</datasource>"),
    ),
    ("xml-attribute", _pw('<user name="{u}" password="{p}"/>')),
    ("env-assignment", _pw("{K}={p}")),
    ("env-export", _pw('export {K}="{p}"')),
    ("mysql-pwd-env", _pw("MYSQL_PWD={p} mysql -u root -h db orders")),
    ("pwd-key", _pw("user: {u}\npwd: {p}")),
    ("ini-spaces", _pw("[database]\n{k} = {p}\nhost = db")),
    ("cli-flag-equals", _pw("/app/server --{f}={p} --port 8080")),
    ("cli-flag-space", _pw("/app/server --{f} {p} --verbose")),
    ("cli-mysql-attached", _pw("mysql -u root -p{p} orders")),
    ("cli-mysqldump-attached", _pw("mysqldump -h db -u {u} -p{p} --all-databases")),
    ("docker-run-env", _pw("docker run -e {K}={p} postgres:16")),
    ("compose-env-list", _pw("environment:\n  - POSTGRES_PASSWORD={p}\n  - TZ=UTC")),
    ("url-query-pass", _pw("GET /login?user={u}&pass={p} HTTP/1.1")),
    ("url-query-password", _pw("https://api.example.com/v1?password={p}&x=1")),
    ("url-encoded-password", _pw("GET /cb?state=user%3D{u}%26password%3D{p}%26x%3D1 200")),
    ("postgres-url", _pw("postgres://{u}:{p}@db.internal:5432/orders")),
    ("mongodb-srv", _pw("mongodb+srv://{u}:{p}@cluster0.ab1cd.mongodb.net/app?retryWrites=true")),
    ("redis-url", _pw("connecting to redis://:{p}@cache:6379/0")),
    ("amqp-url", _pw("amqp://{u}:{p}@rabbit:5672/vhost")),
    ("jdbc-mysql", _pw("jdbc:mysql://db:3306/app?user={u}&password={p}&useSSL=true")),
    ("jdbc-sqlserver", _pw("jdbc:sqlserver://db:1433;databaseName=app;user={u};password={p};")),
    ("ado-net", _pw("Server=db;Database=app;User Id={u};Password={p};")),
    ("curl-user", _curl_user),
    ("auth-basic", _basic),
    ("auth-bearer", _bearer),
    ("x-api-key-header", lambda: (lambda v: (f"X-Api-Key: {v}", v))(rs(HEX, 32))),
    (
        "cookie-header",
        lambda: (lambda v: (f"Cookie: session={v}; theme=dark", v))(mixed(ALNUM, 32)),
    ),
    ("docker-config-auth", _docker_auth),
    ("k8s-secret-data", _k8s_secret_data),
    ("base64-blob-with-secret", _b64_blob),
    ("base64-after-key", _b64_after_key),
    ("entropy-after-key", _entropy_after_key),
    ("azure-account-key", _azure_conn),
    ("azure-service-bus", _azure_sb),
    ("azure-sas", _azure_sas),
    ("pem-rsa", _pem("RSA PRIVATE KEY")),
    ("pem-ec", _pem("EC PRIVATE KEY")),
    ("pem-pkcs8", _pem("PRIVATE KEY")),
    ("pem-encrypted", _pem("ENCRYPTED PRIVATE KEY")),
    ("openssh", _pem("OPENSSH PRIVATE KEY")),
    ("putty", _putty),
    ("gcp-service-account-json", _gcp_json),
]

# The examples named in issue 9 section 4, verbatim shapes (also part of the corpus).
ISSUE_EXAMPLES: list[Sample] = [
    Sample("issue:value-next-line", "password:\n  Zq8-unshown-9x\nport: 5432", "Zq8-unshown-9x"),
    Sample(
        "issue:yaml-block",
        "password: |\n  Bl0ck-scalar-pw\n  second-line-x\nuser: bob",
        "Bl0ck-scalar-pw",
    ),
    Sample(
        "issue:base64", "config=" + b64(b"password=Bas64-hidden-1"), b64(b"password=Bas64-hidden-1")
    ),
    Sample(
        "issue:aws-bare",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    Sample("issue:asia", "ASIAY34FZKBOKMUTVV7A", "Y34FZKBOKMUTVV7A"),
    Sample("issue:mysql-pwd", "MYSQL_PWD=my5ql-pwd-X", "my5ql-pwd-X"),
    Sample("issue:pwd", "pwd: pwd-value-77Q", "pwd-value-77Q"),
    Sample("issue:db-pass", "--db-pass=dbPass-9911", "dbPass-9911"),
    Sample("issue:-p", "mysql -uroot -pDashP-Secret7 shop", "DashP-Secret7"),
    Sample("issue:sk_live", "sk_live_51HqLyjWDarjtT1zdp7dcXYZ", "51HqLyjWDarjtT1zdp7dcXYZ"),
    Sample(
        "issue:AIza",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "SyA-1234567890abcdefghijklmnopqrstu",
    ),
    Sample("issue:glpat", "glpat-xYz1234567890abcdEF", "xYz1234567890abcdEF"),
    Sample(
        "issue:SG",
        "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",
        "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
    ),
    Sample(
        "issue:slack-webhook",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    Sample(
        "issue:azure",
        "AccountName=acme;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
    ),
    Sample("issue:xml", "<password>Xml-Pass-42</password>", "Xml-Pass-42"),
    Sample("issue:?pass", "GET /login?user=bob&pass=Query-Pass-1 HTTP/1.1", "Query-Pass-1"),
    Sample("issue:password%3D", "state=password%3DEnc0ded-Pass%26next", "Enc0ded-Pass"),
    Sample("issue:putty", *_putty()),
    Sample(
        "issue:json-multi-line",
        '{\n  "user": "bob",\n  "password":\n    "Multi-Line-Json-7"\n}',
        "Multi-Line-Json-7",
    ),
]


def _token_samples() -> list[Sample]:
    out: list[Sample] = []
    for name, make, prefix in TOKENS:
        for context in TOKEN_CONTEXTS:
            tok = make()
            out.append(Sample(name, context.format(t=tok), tok[len(prefix) :]))
    return out


def _shape_samples() -> list[Sample]:
    return [s for name, build in PASSWORD_SHAPES for s in _shape(name, build)]


# Red team LOW items: encodings and file formats that hid a secret from the rules above.
_HASH_APR1 = "$apr1$Zq8vK2mL$Wb7TnW9bYc3Hs0kLp4Xr7."
_HASH_BCRYPT = "$2y$10$Zq8vK2mLp4Xr7TnW9bYc3uHs0kLpWb7TnW9bYc3Hs0kLp4Xr7TnW9"
ENCODING_EXAMPLES: list[Sample] = [
    Sample("html-entity-eq", "login failed for password&#61;Ht-Ent1ty-Pw9", "Ht-Ent1ty-Pw9"),
    Sample(
        "html-entity-json",
        "<pre>{&quot;password&quot;: &quot;Qu0t-Ent1ty-Pw&quot;}</pre>",
        "Qu0t-Ent1ty-Pw",
    ),
    Sample("html-entity-hex", "api_key&#x3d;Hex-Ent1ty-K3y7", "Hex-Ent1ty-K3y7"),
    Sample("json-u-escape", '{"pass\\u0077ord": "Uesc-Pw-8812x"}', "Uesc-Pw-8812x"),
    Sample("json-u-escape-key", '{"\\u0074oken":"Uesc-T0ken-55aa"}', "Uesc-T0ken-55aa"),
    Sample("pgpass", "db.internal:5432:shop:app:Pg-Pass-Line-3", "Pg-Pass-Line-3"),
    Sample("pgpass-wildcard", "  *:*:*:replicator:Pg-Wild-Pw-77", "Pg-Wild-Pw-77"),
    Sample(
        "k8s-secret-data",
        "apiVersion: v1\ndata:\n  DB_URL: cG9zdGdyZXM6Ly9hcHBAZGI=\n  tls.crt: "
        "TFMwdExTMUNSVWRKVGlCRFJWSlU=\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque",
        "cG9zdGdyZXM6Ly9hcHBAZGI=",
    ),
    Sample(
        "k8s-secret-stringdata",
        "---\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  config.ini: "
        "url=Plain-Str1ng-Data\n  user: admin\n---\nkind: ConfigMap",
        "Plain-Str1ng-Data",
    ),
    Sample("htpasswd-apr1", f"admin:{_HASH_APR1}", _HASH_APR1[6:]),
    Sample("htpasswd-bcrypt", f"bob:{_HASH_BCRYPT}", _HASH_BCRYPT[7:]),
    Sample("htpasswd-sha", "ops:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "W6ph5Mm5Pz8GgiULbPgzG37mj9g="),
]

SECRET_SAMPLES: list[Sample] = (
    _token_samples() + _shape_samples() + ISSUE_EXAMPLES + ENCODING_EXAMPLES
)

# ---------------------------------------------------------------- clean text
NAMES = [
    "auth-api",
    "token-service",
    "secret-store",
    "web",
    "orders",
    "password-reset-worker",
    "oauth2-proxy",
    "risk-engine",
    "task-runner",
    "keycloak",
    "api-key-rotator",
    "credential-sync",
]
NAMESPACES = ["auth", "token-service", "secret-store", "prod", "staging", "auth-system", "tokens"]


def _sha(n: int = 40) -> str:
    return rs(HEX, n)


def _uuid() -> str:
    h = rs(HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _pod(name: str) -> str:
    return f"{name}-{rs('bcdfghjklmnpqrstvwxz2456789', 10)}-{rs('bcdfghjklmnpqrstvwxz2456789', 5)}"


def _ts() -> str:
    day = f"2026-{_R.randrange(1, 13):02d}-{_R.randrange(1, 29):02d}"
    return f"{day}T{_R.randrange(24):02d}:{_R.randrange(60):02d}:{_R.randrange(60):02d}Z"


def _ip() -> str:
    return f"10.{_R.randrange(256)}.{_R.randrange(256)}.{_R.randrange(1, 255)}"


CLEAN_TEMPLATES: list[Callable[[str, str], str]] = [
    lambda n, ns: (
        f"Deployment {ns}/{n}: ready 2/2, up-to-date 2, available 2, revision {_R.randrange(1, 9)}"
    ),
    lambda n, ns: (
        f"- container {n}: ghcr.io/acme/{n}:1.{_R.randrange(20)}.0, running, ready=True, restarts=0"
    ),
    lambda n, ns: (
        f"Pod {ns}/{_pod(n)}: Running (phase Running), ready 1/1, restarts 0, node node-1"
    ),
    lambda n, ns: f"deployments in {ns}: {n}, web, orders",
    lambda n, ns: f"pods in {ns}: {_pod(n)}, {_pod('web')}",
    lambda n, ns: f"namespaces: default, {ns}, kube-system",
    lambda n, ns: f"NAME{' ' * 20}READY  STATUS\n{_pod(n)}  1/1    Running",
    lambda n, ns: f"Successfully assigned {ns}/{_pod(n)} to node-1",
    lambda n, ns: f'Pulling image "ghcr.io/acme/{n}@sha256:{_sha(64)}"',
    lambda n, ns: f"Scaled up replica set {n}-{rs(HEX, 9)} to 3",
    lambda n, ns: f"Created container {n}",
    lambda n, ns: "Back-off restarting failed container",
    lambda n, ns: "Liveness probe failed: HTTP probe failed with statuscode: 503",
    lambda n, ns: (
        f'Readiness probe failed: Get "http://{_ip()}:8080/healthz": '
        "dial tcp: connect: connection refused"
    ),
    lambda n, ns: (
        f'MountVolume.SetUp failed for volume "{n}-token-{rs(LOW, 5)}" : '
        f'secret "{n}-token" not found'
    ),
    lambda n, ns: f'Error: secret "{n}-creds" not found',
    lambda n, ns: f"couldn't find key password in Secret {ns}/{n}-creds",
    lambda n, ns: (
        f"  at com.acme.auth.TokenService.refresh(TokenService.java:{_R.randrange(20, 400)})"
    ),
    lambda n, ns: f"uid: {_uuid()}",
    lambda n, ns: f"commit {_sha()} (HEAD -> main)",
    lambda n, ns: f"image: registry.example.com:5000/team/{n}:v1.2.3",
    lambda n, ns: f"image digest sha256:{_sha(64)}",
    lambda n, ns: f"resourceVersion: {_R.randrange(10**6)}",
    lambda n, ns: "requests: cpu=250m, memory=512Mi; limits: cpu=1, memory=1Gi",
    lambda n, ns: "resources:\n  requests:\n    cpu: 500m\n    memory: 256Mi",
    lambda n, ns: (
        f"{_ts()} INFO GET /api/v1/items status=200 duration={_R.randrange(900)}ms user=bob"
    ),
    lambda n, ns: f"{_ts()} INFO token refreshed for user alice (expires in 3600s)",
    lambda n, ns: f"{_ts()} WARN invalid password for user bob from {_ip()}",
    lambda n, ns: f"{_ts()} INFO password reset requested for bob@example.com",
    lambda n, ns: f"{_ts()} INFO authentication succeeded for user {n}",
    lambda n, ns: f"GET /api/v1/namespaces/{ns}/secrets/{n}-creds 200 {_R.randrange(50)}ms",
    lambda n, ns: (
        f"env: DB_PASSWORD (from secret {n}-db, key password), "
        f"API_TOKEN (from secret {n}, key token)"
    ),
    lambda n, ns: f"secretName: tls-{n}",
    lambda n, ns: f"serviceAccountName: {n}",
    lambda n, ns: (
        f"env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n"
        f"      name: {n}-db\n      key: password"
    ),
    lambda n, ns: f"envFrom:\n- secretRef:\n    name: {n}-secrets",
    lambda n, ns: f"labels: app={n}, tier=backend",
    lambda n, ns: f"Selector: app={n}; strategy RollingUpdate",
    lambda n, ns: f"History: rev 2: ghcr.io/acme/{n}:2.0; rev 3: ghcr.io/acme/{n}:2.1",
    lambda n, ns: f"x-request-id: {_uuid()}",
    lambda n, ns: f"traceparent: 00-{_sha(32)}-{_sha(16)}-01",
    lambda n, ns: "prompt_tokens=123 completion_tokens=45 total_tokens=168",
    lambda n, ns: "auth_enabled: true\ntoken_ttl_seconds: 3600\npassword_min_length: 12",
    lambda n, ns: "passwords_total 3",
    lambda n, ns: 'WWW-Authenticate: Bearer realm="api"',
    lambda n, ns: "Bearer token expired for request 42",
    lambda n, ns: "docker run -p 8080:80 -d nginx:1.27",
    lambda n, ns: "mkdir -p /var/lib/app && find . -name '*.log' -print",
    lambda n, ns: f"ssh -p 2222 deploy@{_ip()}",
    lambda n, ns: "docker run -u 1000:1000 busybox id",
    lambda n, ns: f"name: {n}  id: {_sha(12)}",
    lambda n, ns: (
        f"command: /app/server --port 8080 --auth-mode oidc --token-file /var/run/secrets/{n}/token"
    ),
    lambda n, ns: f"labels: com.docker.compose.service={n}, com.example.team=identity",
    lambda n, ns: f"Up 3 hours (healthy)  {n}_1",
    lambda n, ns: f"connecting to redis://cache.{ns}.svc:6379/0",
    lambda n, ns: f"postgres://db.{ns}.svc:5432/orders?sslmode=require",
    lambda n, ns: f"https://github.com/acme/{n}/commit/{_sha()}",
    lambda n, ns: "region ap-southeast-1 (ASIA PACIFIC), zone b",
    lambda n, ns: f"cache key users:{_R.randrange(1000)} evicted",
    lambda n, ns: "key rotation completed for 3 keys",
    lambda n, ns: "basic configuration loaded from /etc/app/config.yaml",
    lambda n, ns: f"Condition Available=True (MinimumReplicasAvailable); {n} ok",
    lambda n, ns: f'{_ip()} - - [21/Nov/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2',
    lambda n, ns: (
        f"Normal  Scheduled  12s  default-scheduler  Successfully assigned {ns}/{_pod(n)}"
    ),
    lambda n, ns: f"kubectl rollout undo deployment/{n} -n {ns}",
    lambda n, ns: f"{_ts()} DEBUG session started for {n} id={_uuid()}",
]


def _clean_samples() -> list[str]:
    out: list[str] = []
    for _ in range(6):
        for template in CLEAN_TEMPLATES:
            out.append(template(_R.choice(NAMES), _R.choice(NAMESPACES)))
    return out


# text close to the encoding and file shapes above that must stay as it is
ENCODING_CLEAN = [
    "<p>Tom &amp; Jerry &quot;said&quot; hi &#61; hello</p>",
    '{"msg": "caf\\u00e9 opened", "user": "bob"}',
    "2026-11-21 10:00:01:123:456 INFO tick",
    "12:30:45:123:456",
    "apiVersion: v1\ndata:\n  LOG_LEVEL: debug\nkind: ConfigMap\nmetadata:\n  name: app",
    "price is $5 and $10 today",
    "aa:bb:cc:dd:ee:ff link up",
]
CLEAN_SAMPLES: list[str] = _clean_samples() + ENCODING_CLEAN


def leaked(secret: str, output: str) -> bool:
    """Whether a large piece of `secret` (half of it, at least 6 characters) is in `output`."""
    width = min(len(secret), max(6, len(secret) // 2))
    return any(secret[i : i + width] in output for i in range(len(secret) - width + 1))


def measure(redact: Callable[[str], str]) -> tuple[float, float, list[Sample], list[str]]:
    """(recall, false-positive rate, missed samples, changed clean samples)."""
    missed = [s for s in SECRET_SAMPLES if leaked(s.secret, redact(s.text))]
    changed = [c for c in CLEAN_SAMPLES if redact(c) != c]
    recall = 1 - len(missed) / len(SECRET_SAMPLES)
    return recall, len(changed) / len(CLEAN_SAMPLES), missed, changed
