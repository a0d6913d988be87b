from rtc_gateway.gateway.candidate_filter import (
    allowed,
    is_loopback_only,
    loopback_candidates_only,
)

OFFER = "\r\n".join([
    "v=0", "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0",
    "a=candidate:2 1 udp 2122194687 192.0.2.2 50001 typ host generation 0",
    "a=candidate:3 1 udp 2122129151 ::1 50002 typ host",
    "a=candidate:4 1 udp 2122129151 abcd.local 50003 typ host",
    "a=end-of-candidates", ""])


def test_only_loopback_candidates_survive() -> None:
    kept = loopback_candidates_only(OFFER)
    assert "127.0.0.1 50000" in kept and "::1 50002" in kept
    assert "192.0.2.2" not in kept and ".local" not in kept
    assert kept.endswith("a=end-of-candidates\r\n") and "m=video" in kept


def test_trickled_candidates_and_mode() -> None:
    assert allowed("candidate:1 1 udp 1 127.0.0.1 5000 typ host")
    assert not allowed("candidate:1 1 udp 1 10.1.2.3 5000 typ host")
    assert not allowed("garbage")
    assert is_loopback_only(("127.0.0.1", "::1")) and not is_loopback_only(())
    assert not is_loopback_only(("127.0.0.1", "192.0.2.2"))
