"""RFC 6455 conformance: every case in ``cases.py`` against the gateway's WebSocket layer
and, as controls in the same run, against aiohttp's and websockets' echo servers. The
gateway must pass every case; a case a reference fails is listed below with the reason
(the references disagreeing with each other there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.rfc6455.cases import CASES
from tests.realtime.rfc6455.client import Peer
from tests.realtime.rfc6455.servers import SERVERS, serving

_SAME_SEGMENT = ("websockets may close before echoing a message that arrived just before "
                 "the failing frame or the client's close (its handler had not sent it "
                 "yet); aiohttp echoes it")
REFERENCE_DIFFERENCES: dict[tuple[str, str], str] = {
    **{("websockets", name): _SAME_SEGMENT for name in CASES
       if name.startswith(("3 rsv", "4 opcode", "5 continuation after a whole text",
                           "7 ping after close", "7 text after close",
                           "7 fragment after close", "7 close twice", "7 text, close",
                           "7 big text, close"))},
    ("websockets", "7 unfinished message, close"):
        "websockets answers a close inside a fragmented message with 1002; aiohttp, as "
        "RFC 6455 §5.4 allows control frames there, with 1000",
    **{("aiohttp", f"7 invalid close code {code}"):
       f"aiohttp answers close code {code} with 1000; websockets with 1002 (RFC 6455 §7.4)"
       for code in (1006, 5000, 65535)},
    **{("aiohttp", f"9 {kind} of 256 KiB"):
       "aiohttp refuses a message of exactly max_msg_size (1009); websockets takes a "
       "message up to max_size" for kind in ("text", "binary")},
}
"""(server, case) -> why that reference fails it while the other passes it. Such a case
is an expected failure for that reference only when it does fail (some are races)."""


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    with serving(request.param) as port:
        yield request.param, port


@pytest.mark.parametrize("name", list(CASES))
def test_case(server: tuple[str, int], name: str) -> None:
    label, port = server
    peer = Peer(port)
    try:
        CASES[name](peer)
    except AssertionError as failure:
        difference = REFERENCE_DIFFERENCES.get((label, name))
        if difference is None:
            pytest.fail(f"{label}, case {name!r}: {failure}", pytrace=False)
        pytest.xfail(difference)
    finally:
        peer.close_socket()


def test_only_references_have_differences() -> None:
    assert all(server != "gateway" for server, _ in REFERENCE_DIFFERENCES)
    assert all(name in CASES for _, name in REFERENCE_DIFFERENCES)
