"""The client's address behind trusted proxies: X-Forwarded-For only from them."""

import pytest

from rtc_gateway.realtime.client_address import AddressSet, client_address, is_loopback

PROXIES = AddressSet(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("203.0.113.9", None, "203.0.113.9"),
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
    ("10.1.2.3", None, "10.1.2.3"),
    ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
    ("10.1.2.3", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # spoofed left part ignored
    ("10.1.2.3", "198.51.100.1, 10.9.9.9", "198.51.100.1"),  # chained trusted proxies
    ("10.1.2.3", "198.51.100.1,192.0.2.7", "198.51.100.1"),
    ("10.1.2.3", "10.4.4.4, 10.5.5.5", "10.4.4.4"),  # all trusted: the left-most
    ("10.1.2.3", "garbage, 10.5.5.5", "10.5.5.5"),
    ("10.1.2.3", "198.51.100.1, garbage", "10.1.2.3"),
    ("10.1.2.3", "[2001:db9::1]", "2001:db9::1"),
    ("::ffff:10.1.2.3", "198.51.100.1", "198.51.100.1"),
    ("2001:db8::5", "198.51.100.1", "198.51.100.1"),
    ("unknown", "198.51.100.1", "unknown"),
])
def test_the_client_is_the_right_most_address_not_trusted(peer: str, forwarded: str | None,
                                                          expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", "198.51.100.1", AddressSet()) == "127.0.0.1"


def test_an_entry_that_is_not_an_address_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="not an address"):
        AddressSet(["10.0.0.0/8", "proxy.example"])


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.5") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.1") and not is_loopback("unknown")
