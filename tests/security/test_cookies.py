"""Cookie values: random, stored as hashes, read from a raw handshake header."""

from rtc_gateway.security.cookies import cookie_key, cookie_value_of, new_cookie_value


def test_values_are_random_and_keys_are_hashes() -> None:
    first, second = new_cookie_value(), new_cookie_value()
    assert first != second and len(first) >= 43
    assert cookie_key(first) != first and len(cookie_key(first)) == 64
    assert cookie_key(first) == cookie_key(first)


def test_one_cookie_from_a_header() -> None:
    header = "theme=dark; rtc_session=abc-123; rtc_sessionx=other"
    assert cookie_value_of(header, "rtc_session") == "abc-123"
    assert cookie_value_of(header, "missing") is None
    assert cookie_value_of(None, "rtc_session") is None
    assert cookie_value_of("rtc_session=", "rtc_session") is None
    assert cookie_value_of("rtc_session=" + "x" * 300, "rtc_session") is None
