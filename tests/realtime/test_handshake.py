"""Reading a WebSocket opening off the wire."""

import pytest

from rtc_gateway.realtime.handshake import (
    MAX_HEADERS,
    HeadReader,
    HeadRefused,
    parse_head,
    switching_protocols,
    websocket_key,
)

OPENING = (b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
           b"Host: gw.example\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Origin: https://gw.example")


def test_an_opening_is_read_with_its_query_and_headers() -> None:
    head = parse_head(OPENING)
    assert head is not None
    assert (head.method, head.path) == ("GET", "/socket.io/")
    assert head.query == {"EIO": "4", "transport": "websocket"}
    assert head.header("origin") == "https://gw.example"
    assert websocket_key(head) == "dGhlIHNhbXBsZSBub25jZQ=="


def test_the_accept_key_is_the_rfc_example() -> None:
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in \
        switching_protocols("dGhlIHNhbXBsZSBub25jZQ==")


@pytest.mark.parametrize("broken", [
    OPENING + b"\r\n folded continuation",
    OPENING + b"\r\nno colon here",
    OPENING + b"\r\nX-Bare: a\nOrigin: https://attacker.example",
    OPENING + b"\r\nX-Nul: a\x00b",
    OPENING + b"\r\nHost: attacker.example",
    OPENING + b"\r\nOrigin: https://attacker.example",
    OPENING + b"".join(b"\r\nX-%d: 1" % n for n in range(MAX_HEADERS)),
    OPENING + b"\r\nX-Long: " + b"a" * 9000,
    OPENING.replace(b"GET /socket.io/", b"GET /" + b"a" * 9000),
    OPENING.replace(b"HTTP/1.1", b"HTTP/1.1 extra"),
])
def test_heads_llhttp_or_our_limits_refuse(broken: bytes) -> None:
    with pytest.raises(HeadRefused):
        parse_head(broken)


def test_a_head_fed_byte_by_byte_is_the_same_head_and_the_rest_is_kept() -> None:
    reader = HeadReader()
    whole = OPENING + b"\r\n\r\n" + b"\x81\x80frames"
    position = 0
    head = None
    while head is None:
        head = reader.feed(whole[position:position + 1])
        position += 1
    assert head == parse_head(OPENING)
    assert position == len(OPENING) + 4 and reader.rest == b""
    reader = HeadReader()
    assert reader.feed(whole) == parse_head(OPENING)
    assert reader.rest == b"\x81\x80frames"


def test_a_head_that_never_ends_is_refused_past_the_limit() -> None:
    reader = HeadReader()
    reader.feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(HeadRefused, match="too large"):
        for _ in range(100):
            reader.feed(b"X-A: " + b"a" * 200 + b"\r\n")


def test_repeated_headers_are_joined() -> None:
    head = parse_head(OPENING + b"\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2")
    assert head.header("x-forwarded-for") == "1.1.1.1, 2.2.2.2"


def test_an_opening_with_a_body_or_an_old_version_has_no_key() -> None:
    for broken in (OPENING + b"\r\nContent-Length: 3", OPENING + b"\r\nTransfer-Encoding: x",
                   OPENING.replace(b"HTTP/1.1", b"HTTP/1.0")):
        head = parse_head(broken)
        assert websocket_key(head) is None


def test_an_incomplete_or_odd_opening_has_no_key() -> None:
    for broken in (OPENING.replace(b"Version: 13", b"Version: 8"),
                   OPENING.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"c2hvcnQ="),
                   OPENING.replace(b"keep-alive, Upgrade", b"keep-alive"),
                   OPENING.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
                   OPENING.replace(b"GET ", b"POST ")):
        head = parse_head(broken)
        assert head is not None and websocket_key(head) is None
