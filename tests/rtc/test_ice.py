from datetime import UTC, datetime

import aioice.ice

from rtc_gateway.rtc.ice import (
    IceServerConfig,
    restrict_host_candidates,
    rtc_configuration,
    servers_for,
    turn_rest_credentials,
)

NOW = datetime(2025, 11, 30, tzinfo=UTC)
TURN = IceServerConfig(urls=("turn:turn.example.test:3478?transport=udp",))
STUN = IceServerConfig(urls=("stun:stun.example.test:3478",))


def test_turn_credentials_follow_the_coturn_rest_scheme() -> None:
    # Expected value computed with: printf '1764464400:c-42' | openssl dgst -sha1 -hmac s3cret
    username, credential = turn_rest_credentials("s3cret", "c-42", NOW, ttl_s=3600)
    assert username == "1764464400:c-42"
    assert credential == "bqdxTeatdC1J64xIRWXGeno+XTk="


def test_only_turn_entries_get_minted_credentials() -> None:
    servers = servers_for([STUN, TURN], "c-42", NOW, "s3cret", ttl_s=3600)
    assert servers[0].to_wire() == {"urls": ["stun:stun.example.test:3478"]}
    assert servers[1].to_wire() == {
        "urls": ["turn:turn.example.test:3478?transport=udp"],
        "username": "1764464400:c-42",
        "credential": "bqdxTeatdC1J64xIRWXGeno+XTk=",
    }


def test_without_secret_servers_pass_through_unchanged() -> None:
    assert servers_for([TURN], "c-42", NOW, None) == [TURN]


def test_empty_configuration_means_no_ice_server_at_all() -> None:
    assert rtc_configuration([]).iceServers == []


def test_host_candidates_can_be_pinned_to_loopback() -> None:
    try:
        restrict_host_candidates(["127.0.0.1", "::1"])
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
    finally:
        restrict_host_candidates(None)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
