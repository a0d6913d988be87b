"""A connection's first request head, read with llhttp (through ``httptools``), and the
WebSocket opening handshake (RFC 6455 §4.2).

llhttp refuses what aiohttp's parser (llhttp too) refuses: a bare LF, a NUL or another
control byte, obsolete line folding, a malformed request line. Its strict mode is kept;
on top of it come limits aiohttp also has: the number of headers, the size of a header
line and of the whole head, a single ``Host``. A WebSocket opening must have no body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from urllib.parse import parse_qsl

import httptools

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 100
MAX_HEADER_LINE_BYTES = 8190
_SINGLE = frozenset({"host", "content-length", "origin", "upgrade", "sec-websocket-key",
                     "sec-websocket-version"})
"""Headers a request may carry once: a second one is how a check is smuggled past."""


class HeadRefused(Exception):
    """The head is not acceptable HTTP/1.1; the message names the rule, never the bytes."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-case names; a repeated header's values are joined with ``", "``."""
    version: str = "1.1"
    remote: str = "unknown"
    """The client's address (its proxy's ``X-Forwarded-For`` when the peer is trusted)."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def upgrade(self) -> bool:
        return "upgrade" in self.headers

    @property
    def has_body(self) -> bool:
        return "transfer-encoding" in self.headers or \
            self.headers.get("content-length", "0").strip() not in ("", "0")


class HeadReader:
    """Fed a connection's bytes until its first head is whole; the bytes after it
    (pipelined requests, WebSocket frames) are kept in ``rest``."""

    __slots__ = ("_complete", "_headers", "_parser", "_size", "_tail", "_url", "rest")

    def __init__(self) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[str, str] = {}
        self._tail = b""
        self._size = 0
        self._complete = False
        self.rest = b""

    def feed(self, data: bytes) -> RequestHead | None:
        """The head once ``data`` completes it, else ``None``; :class:`HeadRefused`
        when it breaks a rule."""
        tail = self._tail + data
        end = tail.find(b"\r\n\r\n")
        cut = len(data) if end < 0 else end + 4 - len(self._tail)
        self._size += cut
        if self._size > MAX_HEAD_BYTES:
            raise HeadRefused("head too large")
        self._feed(data[:cut])
        if end < 0:
            self._tail = tail[-3:]
            return None
        if not self._complete:
            raise HeadRefused("malformed head")
        self.rest = data[cut:]
        return self._head()

    def _feed(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass
        except httptools.HttpParserError as error:
            raise HeadRefused(_rule_broken(error)) from None

    def _head(self) -> RequestHead:
        parser = self._parser
        url = httptools.parse_url(self._url)
        path = (url.path or b"/").decode("latin-1")
        query: dict[str, str] = {}
        for key, value in parse_qsl((url.query or b"").decode("latin-1"),
                                    keep_blank_values=True):
            query.setdefault(key, value)
        return RequestHead(parser.get_method().decode("ascii"), path, query, self._headers,
                           parser.get_http_version())

    # httptools callbacks

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_HEADER_LINE_BYTES:
            raise HeadRefused("request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) > MAX_HEADER_LINE_BYTES:
            raise HeadRefused("header line too long")
        headers = self._headers
        if len(headers) >= MAX_HEADERS:
            raise HeadRefused("too many headers")
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key in headers:
            if key in _SINGLE:
                raise HeadRefused(f"repeated {key} header")
            text = f"{headers[key]}, {text}"
        headers[key] = text

    def on_headers_complete(self) -> None:
        self._complete = True


def _rule_broken(error: Exception) -> str:
    cause = error.__context__
    if isinstance(cause, HeadRefused):
        return str(cause)
    return "malformed head"


def parse_head(head: bytes) -> RequestHead:
    """A whole head (request line and headers, with or without the blank line)."""
    if not head.endswith(b"\r\n\r\n"):
        head += b"\r\n\r\n"
    parsed = HeadReader().feed(head)
    assert parsed is not None
    return parsed


def websocket_key(head: RequestHead) -> str | None:
    """The client's ``Sec-WebSocket-Key`` if ``head`` is a valid WebSocket opening."""
    if head.method != "GET" or head.version != "1.1" or head.header("host") is None:
        return None
    if (head.header("upgrade") or "").lower() != "websocket" or head.has_body:
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
