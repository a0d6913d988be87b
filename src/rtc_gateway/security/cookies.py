"""The browser cookies of the citizens' login: random values, stored only as hashes."""

import hashlib
import secrets

SESSION_COOKIE = "rtc_session"
"""The verified session (HttpOnly, SameSite=Lax, Secure on https)."""
LOGIN_COOKIE = "rtc_login"
"""Binds a login in progress to the browser that started it (same attributes, path /auth)."""


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def cookie_key(value: str) -> str:
    """The store key of a cookie value: a leaked store yields no usable cookie."""
    return hashlib.sha256(value.encode()).hexdigest()


def cookie_value_of(header: str | None, name: str) -> str | None:
    """One cookie's value from a raw ``Cookie`` header (the Socket.IO handshake's)."""
    if not header:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and 0 < len(value) <= 256:
            return value
    return None
