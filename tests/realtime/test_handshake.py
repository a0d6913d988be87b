"""Reading a WebSocket opening off the wire."""

from rtc_gateway.realtime.handshake import parse_head, switching_protocols, websocket_key

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


def test_heads_that_are_not_plain_http_are_left_alone() -> None:
    assert parse_head(OPENING.replace(b"HTTP/1.1", b"HTTP/1.0")) is None
    assert parse_head(OPENING + b"\r\n folded continuation") is None
    assert parse_head(OPENING + b"\r\nno colon here") is None
    assert parse_head(OPENING + "\r\nX-Name: é".encode()) is None


def test_an_incomplete_or_odd_opening_has_no_key() -> None:
    for broken in (OPENING.replace(b"Version: 13", b"Version: 8"),
                   OPENING.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"c2hvcnQ="),
                   OPENING.replace(b"keep-alive, Upgrade", b"keep-alive"),
                   OPENING.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
                   OPENING.replace(b"GET ", b"POST ")):
        head = parse_head(broken)
        assert head is not None and websocket_key(head) is None
