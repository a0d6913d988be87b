"""The WebSocket opening handshake (RFC 6455 §4.2), read straight off a connection.

Only a request that is plainly a WebSocket opening, in full, is read here: the front
door (``front_door.py``) hands anything else, and anything odd, to aiohttp, which
answers it as it answers every HTTP request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qsl

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES = 16 * 1024
"""A longer head goes to aiohttp, whose limits answer it."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its first value."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def parse_head(head: bytes) -> RequestHead | None:
    """The request line and headers (without the blank line), or ``None`` if they are
    not plain HTTP/1.1 (obsolete line folding, a missing colon, non-ASCII bytes)."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    request_line, *lines = text.split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or parts[2] != "HTTP/1.1":
        return None
    method, target, _ = parts
    path, _, query_text = target.partition("?")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[:1] in (" ", "\t"):
            return None
        headers.setdefault(name.lower(), value.strip())
    query: dict[str, str] = {}
    for key, value in parse_qsl(query_text, keep_blank_values=True):
        query.setdefault(key, value)
    return RequestHead(method, path, query, headers)


def websocket_key(head: RequestHead) -> str | None:
    """The client's ``Sec-WebSocket-Key`` if ``head`` is a valid WebSocket opening."""
    if head.method != "GET" or head.header("host") is None:
        return None
    if (head.header("upgrade") or "").lower() != "websocket":
        return None
    tokens = {token.strip().lower() for token in (head.header("connection") or "").split(",")}
    if "upgrade" not in tokens or head.header("sec-websocket-version") != "13":
        return None
    key = head.header("sec-websocket-key") or ""
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            return None
    except (binascii.Error, ValueError):
        return None
    return key


def switching_protocols(key: str) -> bytes:
    """The server's 101 answer: no subprotocol, no extension (so no compression)."""
    accept = base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
