"""What counts as a secret: key names, provider token formats and private key blocks.

Used by `bot.redact`. Every pattern here runs in time linear in its input: each starts with
a literal (a fast search) or is anchored by a one-character lookbehind, the word-boundary
check comes right after the literal as a fixed-width lookbehind, and quantifiers are bounded
or possessive.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- key names
# A key is secret when its LAST word names a secret ("db_password", "X-Api-Key",
# "AccountKey"), not when a secret word merely appears in it ("auth-api", "token-service",
# "secretName", "prompt_tokens", "TokenService.java"). Words come from _ - . and camelCase.
_SECRET_WORDS = frozenset(
    (
        "password",
        "passwd",
        "pwd",
        "pw",
        "pass",
        "passphrase",
        "passcode",
        "secret",
        "token",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "auth",
        "authorization",
        "cookie",
        "sig",
        "signature",
        "privatekey",
        "accesskey",
        "secretkey",
        "accountkey",
    )
)
_KEY_QUALIFIERS = frozenset(
    (
        "api",
        "access",
        "secret",
        "private",
        "signing",
        "encryption",
        "master",
        "account",
        "shared",
        "app",
        "client",
        "license",
        "auth",
        "subscription",
        "ssh",
        "hmac",
        "storage",
        "sas",
        "deploy",
        "root",
        "crypt",
        "session",
        "service",
    )
)
# concatenated forms: "dbpassword", "clientsecret", "accesstoken", "pgpassword"
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "accesskey", "secretkey")
# a word naming the form of a secret's value: "secret_value", "password_b64", "secret_key_base"
_VALUE_FORMS = frozenset(
    (
        "value",
        "data",
        "string",
        "str",
        "hash",
        "b64",
        "base64",
        "encoded",
        "raw",
        "plain",
        "plaintext",
        "text",
        "enc",
        "base",
        "hex",
        "bytes",
    )
)
_WORD_SPLIT = re.compile(r"[._\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
MAX_KEY = 256
"""Longest key name considered."""


def is_secret_key(key: str) -> bool:
    """Whether a key (YAML/JSON/env/flag/header/label name) names a secret value."""
    words = [w.lower() for w in _WORD_SPLIT.split(key[-MAX_KEY:]) if w]
    while words and words[-1].isdigit():  # key_1
        words.pop()
    if len(words) > 1 and words[-1] in _VALUE_FORMS:
        words.pop()
    if not words:
        return False
    last = words[-1].rstrip("0123456789") or words[-1]  # password2
    if last in _SECRET_WORDS:
        return True
    if last == "key":
        return len(words) > 1 and words[-2] in _KEY_QUALIFIERS
    return last.endswith(_SECRET_SUFFIXES)


# Secret words searched in ASCII-lowercased text: each hit is expanded to its whole key and
# judged by is_secret_key (a case-sensitive literal search is much faster than (?i)).
KEY_WORD = re.compile(r"p(?:ass|w)|secret|token|key|cred|auth|cookie|sig")
KEY_RUN = re.compile(r"[\w.-]*+")
KEY_RUN_BACK = re.compile(rf"[\w.-]{{0,{MAX_KEY}}}")
# After a key: closing quote, separator, optional auth scheme ("Authorization: Basic xyz").
AFTER_KEY = re.compile(
    r"(\\?[\"'])?[ \t]{0,8}+(?:[=:]|%3[dD])[ \t]{0,8}+"
    r"(?:(?i:basic|bearer|digest|negotiate|ntlm|token|aws4-hmac-sha256)[ \t]{1,8}+(?=[^\s,;]))?"
)
VALUE = re.compile(r"\\?\"[^\"\n]{0,2048}+\"|'[^'\n]{0,2048}+'|[^\s,;]++")
QUERY_VALUE = re.compile(r"(?:[^\s&%]|%(?!26))++")  # after ?key= / &key= / key%3D
FLAG_VALUE = re.compile(r"[ \t]{1,8}+(?![-\s])(\\?\"[^\"\n]{0,2048}+\"|'[^'\n]{0,2048}+'|\S++)")
XML_VALUE = re.compile(r"[^<\n]{0,2048}+")
BLOCK_INDICATOR = re.compile(r"[|>][-+]?[0-9]?[-+]?[ \t]*+(?=\n|$)")
MAPPING_LINE = re.compile(r"-?[ \t]*+[\"']?[\w.-]{1,256}+[\"']?[ \t]*+:(?:[ \t]|$)")
PLACEHOLDERS = frozenset(
    (
        "",
        '""',
        "''",
        "null",
        "none",
        "<none>",
        "~",
        "true",
        "false",
        "{",
        "[",
        "[]",
        "{}",
    )
)


# ---------------------------------------------------------------- token formats
def _token(prefix: str, width: int, body: str) -> re.Pattern[str]:
    """(prefix kept, body hidden); the prefix must not follow a letter or digit."""
    return re.compile(rf"({prefix})(?<![A-Za-z0-9].{{{width}}})({body})")


TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"([Bb][Ee][Aa][Rr][Ee][Rr](?<!\w.{6})[ \t]{1,16}+)([A-Za-z0-9._~+/=-]{8,}+)"),
    _token(r"xox[abposre]-", 5, r"[A-Za-z0-9-]{10,}+"),  # Slack tokens
    _token(r"xapp-", 5, r"[A-Za-z0-9-]{10,}+"),
    # OpenAI, Anthropic: one run of 20+, or dashed parts with a capital (not "sk-payments-api")
    _token(
        r"sk-", 3, r"(?:[A-Za-z0-9_]{20,}+(?!-)|(?=[a-z0-9_-]{0,256}+[A-Z])[A-Za-z0-9_-]{16,}+)"
    ),
    _token(r"A[KS]IA", 4, r"[0-9A-Z]{16}"),  # AWS access key ids (long-lived, STS)
    _token(r"gh[pousr]_", 4, r"[A-Za-z0-9]{20,}+"),  # GitHub
    _token(r"github_pat_", 11, r"[A-Za-z0-9_]{20,}+"),
    _token(r"gl(?:pat|ptt|cbt)-", 6, r"[A-Za-z0-9_-]{16,}+"),  # GitLab
    _token(r"gl[dr]t-", 5, r"[A-Za-z0-9_-]{16,}+"),
    _token(r"[rs]k_(?:live|test)_", 8, r"[A-Za-z0-9]{10,}+"),  # Stripe
    _token(r"whsec_", 6, r"[A-Za-z0-9+/=]{16,}+"),
    _token(r"AIza", 4, r"[0-9A-Za-z_-]{30,}+"),  # Google API keys
    _token(r"GOCSPX-", 7, r"[A-Za-z0-9_-]{20,}+"),  # Google OAuth client secrets
    _token(r"SG\.", 3, r"[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),  # SendGrid
    _token(r"SK", 2, r"[0-9a-f]{32}(?![0-9A-Za-z])"),  # Twilio API keys
    _token(r"npm_", 4, r"[A-Za-z0-9]{30,}+"),
    _token(r"pypi-", 5, r"AgE[A-Za-z0-9_-]{40,}+"),
    _token(r"hf_", 3, r"[A-Za-z0-9]{30,}+"),  # Hugging Face
    _token(r"hv[sbr]\.", 4, r"[A-Za-z0-9_-]{20,}+"),  # HashiCorp Vault
    _token(r"shp(?:at|ss|ca|pa)_", 6, r"[a-fA-F0-9]{32}"),  # Shopify
    _token(r"do[opr]_v1_", 7, r"[a-f0-9]{64}"),  # DigitalOcean
    _token(r"key-", 4, r"[0-9a-f]{32}(?![0-9A-Za-z])"),  # Mailgun
    _token(r"AGE-SECRET-KEY-", 15, r"1[0-9A-Z]{50,}+"),
    re.compile(r"(:AA)(?<=[0-9]{6}:AA)([A-Za-z0-9_-]{33})"),  # Telegram bot tokens
    re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)([A-Za-z0-9/_-]{20,}+)"),
    re.compile(r"(discord(?:app)?\.com/api/webhooks/)([0-9]{5,20}/[A-Za-z0-9_-]{20,}+)"),
    # JWTs: only where a run starts, each segment taken whole, so a failed try is cheap
    re.compile(
        r"(eyJ)(?<![A-Za-z0-9_-]eyJ)([A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{10,}+\.[A-Za-z0-9_-]{5,})"
    ),
    # passwords in URLs, also with an empty user name (redis://:pw@host)
    re.compile(r"(://[^/\s:@]{0,256}+:)([^@\s/]{1,1024}+)(?=@)"),
    # htpasswd / crypt(3) hashes (`user:$apr1$...`, `$2y$10$...`, `{SHA}...`): the scheme stays
    re.compile(r"((?<![\w$])\$(?:apr1|2[abxy]|[156]|sha1|y|7)\$)([./A-Za-z0-9$=+]{8,1024}+)"),
    re.compile(r"(\{S?SHA\})([A-Za-z0-9+/]{20,88}+={0,2})"),
    # curl -u user:password / --user user:password (not uid:gid)
    re.compile(
        r"((?<!\S)(?:-u|--user)[ =]?[^\s:@/'\"]{1,256}+:)(?![0-9]++(?:\s|$))([^\s'\"]{1,1024}+)"
    ),
)
# A bare 40-character AWS secret access key: a whole run of the base64 alphabet, mixed case
# and digits (not a hex commit SHA); the lookbehind lets a try start only where a run starts.
BARE_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# mysql -pPASSWORD (attached), only on a line that runs a MySQL/MariaDB client
MYSQL_ATTACHED_PASSWORD = re.compile(r"((?<!\S)-p)([^\s]{1,1024}+)")
MYSQL_WORD = re.compile(r"mysql|mariadb")
# A secret named in one field and held in another: Kubernetes env entries (`name: X` then
# `value: Y`, JSON or YAML) and .NET appSettings (`<add key="X" value="Y"/>`). The name field
# starts with a literal; its `value` field is searched only up to NAMED_VALUE_REACH characters
# on and never past the next name field, so each scan is bounded.
NAME_FIELD = re.compile(
    r"(?<![\w-])(?:name|key)[\"']?[ \t]{0,8}+[:=][ \t]{0,8}+[\"']?([\w.-]{1,256}+)[\"']?"
)
VALUE_FIELD = re.compile(
    r"((?<![\w-])value[\"']?[ \t]{0,8}+[:=][ \t]{0,8}+)"
    r"(\\?\"[^\"\n]{0,2048}+\"|'[^'\n]{0,2048}+'|[^\s,;}/>]++)"
)
NAMED_VALUE_REACH = 256
# Passwords after a space: netrc (`machine h login u password X`) and registry logins
# (`docker|podman|helm|buildah ... login ... -p X`), only on lines of that shape.
NETRC_PASSWORD = re.compile(r"((?<!\S)password[ \t]{1,8}+)([^\s]{1,1024}+)")
NETRC_LINE = re.compile(r"(?<!\S)(?:machine|default)[ \t]")
LOGIN_PASSWORD = re.compile(r"((?<!\S)-p[ \t]{1,8}+)(?!-)([^\s]{1,1024}+)")
LOGIN_LINE = re.compile(r"(?<!\S)login(?!\S)")
# base64 runs that may hide a secret (decoded and checked, one level deep)
BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{16,4096}+={0,2}(?![A-Za-z0-9+/=_-])")

# ---------------------------------------------------------------- private key blocks
# PEM / OpenSSH blocks and PuTTY key files: BEGIN marks and END marks.
KEY_BLOCK_MARK = re.compile(
    r"-----(BEGIN|END) (?:[A-Z0-9]{1,24} ){0,4}PRIVATE KEY(?: BLOCK)?-----"
    r"|(PuTTY-User-Key-File-[0-9]{1,2}:)|(Private-MAC:[ \t]{0,8}+[0-9a-fA-F]{0,256}+)"
)

# ---------------------------------------------------------------- encodings and file formats
# a line whose HTML entities or JSON \\u escapes may spell a secret key (decoded, then judged)
ENCODED_MARK = re.compile(
    r"&(?:#[0-9]{1,7}+|#[xX][0-9a-fA-F]{1,6}+|[a-zA-Z]{2,8}+);|\\u[0-9a-fA-F]{4}"
)
JSON_U_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# ~/.pgpass: host:port:database:user:password (the host has a letter, "." or "*": no clock)
PGPASS_LINE = re.compile(
    r"(?m)^([ \t]{0,64}+(?=[^:\s]{0,256}?[A-Za-z.*])[^:\s]{1,256}+:(?:[0-9]{1,5}+|\*):"
    r"[^:\s]{1,256}+:[^:\s]{1,256}+:)([^\s]{1,1024}+)[ \t]*+$"
)
# a Kubernetes Secret manifest: every value under its data:/stringData: is a secret
SECRET_KIND = re.compile(
    r"(?m)^[ \t-]*+[\"']?kind[\"']?[ \t]*+:[ \t]*+[\"']?Secret[\"']?[ \t]*+,?$"
)
SECRET_DATA_KEY = re.compile(r"([ \t]*+)[\"']?(?:data|stringData)[\"']?[ \t]*+:[ \t]*+$")
DATA_ENTRY = re.compile(r"([ \t]*+[\"']?[^\s:\"']{1,256}+[\"']?[ \t]*+:[ \t]*+)(\S.*)")
DOCUMENT_SPLIT = re.compile(r"(?m)^---[ \t]*+$")
