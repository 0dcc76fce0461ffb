"""Who may post alerts: Alertmanager's `http_config` sends `Authorization: Bearer TOKEN`
(`authorization: {credentials: TOKEN}`) or Basic (`basic_auth`). Compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    """The accepted secrets: a bearer token and/or a basic-auth user and password."""

    token: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.token) or bool(self.basic_user and self.basic_password)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authorized(header: str | None, credentials: Credentials) -> bool:
    """True when the Authorization header carries an accepted secret. No secret configured:
    nothing is accepted (the server refuses to start without one)."""
    if not header or not credentials.configured:
        return False
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and credentials.token:
        return _same(value, credentials.token)
    if scheme.lower() == "basic" and credentials.basic_user and credentials.basic_password:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        # both compared, always: the time taken says nothing about which part was wrong
        user_ok = _same(user, credentials.basic_user)
        password_ok = _same(password, credentials.basic_password)
        return bool(sep) and user_ok and password_ok
    return False
