"""Settings: embedded defaults, environment variables, flags."""

from pathlib import Path

import pytest

from rtc_gateway.config import Settings, from_environment


def test_defaults_need_no_environment() -> None:
    settings = from_environment({})
    assert settings == Settings()
    assert settings.evidence_db == Path("data/evidence.db")


def test_environment_then_flags() -> None:
    env = {"RTC_GATEWAY_PORT": "9000", "RTC_GATEWAY_CORS_ORIGINS": "https://a.fr, https://b.fr",
           "RTC_GATEWAY_AGENT_GRACE_S": "5", "RTC_GATEWAY_ICE_SERVERS":
           '[{"urls": ["turn:turn.example:3478"]}]', "RTC_GATEWAY_SERIALIZER": "msgpack",
           "RTC_GATEWAY_QUEUE_UPDATES_PER_S": "500"}
    settings = from_environment(env, port=9100, data_dir=Path("/srv/x"), host=None)
    assert settings.port == 9100 and settings.data_dir == Path("/srv/x")
    assert settings.cors_origins == ("https://a.fr", "https://b.fr")
    assert settings.agent_grace_s == 5.0 and settings.serializer == "msgpack"
    assert settings.ice_servers == ({"urls": ["turn:turn.example:3478"]},)
    assert settings.queue_updates_per_s == 500.0


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        from_environment({"RTC_GATEWAY_SERIALIZER": "xml"})
    with pytest.raises(ValueError):
        from_environment({"RTC_GATEWAY_PORT": "eighty"})
    with pytest.raises(ValueError):
        from_environment({"RTC_GATEWAY_QUEUE_UPDATES_PER_S": "0"})


def test_abuse_limits_are_read_from_the_environment() -> None:
    settings = from_environment({"RTC_GATEWAY_MAX_OPEN_PER_ADDRESS": "7",
                                 "RTC_GATEWAY_CONNECTS_PER_ADDRESS_BURST": "12.5",
                                 "RTC_GATEWAY_MAX_SOCKETS_PER_IDENTITY": "3",
                                 "RTC_GATEWAY_URGENT_SURGE_THRESHOLD": "9",
                                 "RTC_GATEWAY_ABUSE_BLOCK_S": "60"})
    assert (settings.max_open_per_address, settings.connects_per_address_burst,
            settings.max_sockets_per_identity, settings.urgent_surge_threshold,
            settings.abuse_block_s) == (7, 12.5, 3, 9, 60.0)
    assert from_environment({}).max_open_per_address == 20


def test_citizen_page_settings_have_defaults_and_refuse_a_script_address() -> None:
    settings = from_environment({})
    assert settings.quick_exit_url.startswith("https://")
    assert settings.waiting_alternatives_after_s == 120.0
    custom = from_environment({"RTC_GATEWAY_QUICK_EXIT_URL": "https://example.org/",
                               "RTC_GATEWAY_WAITING_ALTERNATIVES_AFTER_S": "30"})
    assert (custom.quick_exit_url, custom.waiting_alternatives_after_s) == (
        "https://example.org/", 30.0)
    with pytest.raises(ValueError, match="quick_exit_url"):
        from_environment({"RTC_GATEWAY_QUICK_EXIT_URL": "javascript:alert(1)"})
def test_front_door_settings_from_the_environment() -> None:
    settings = from_environment({
        "RTC_GATEWAY_PUBLIC_URL": "https://gw.example",
        "RTC_GATEWAY_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        "RTC_GATEWAY_METRICS_ALLOW": "192.0.2.0/24",
        "RTC_GATEWAY_HEAD_TIMEOUT_S": "2.5"})
    assert settings.public_url == "https://gw.example"
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert settings.metrics_allow == ("192.0.2.0/24",)
    assert settings.head_timeout_s == 2.5
    assert Settings().head_timeout_s == 10.0 and Settings().public_url is None


def test_shared_services_come_together() -> None:
    both = from_environment({"RTC_GATEWAY_REDIS_URL": "redis://r:6379/0",
                             "RTC_GATEWAY_DATABASE_URL": "postgresql://p/db"})
    assert both.multi_node and both.redis_url == "redis://r:6379/0"
    assert not from_environment({"RTC_GATEWAY_REDIS_URL": ""}).multi_node
    with pytest.raises(ValueError, match="both"):
        from_environment({"RTC_GATEWAY_REDIS_URL": "redis://r:6379/0"})
    with pytest.raises(ValueError, match="both"):
        from_environment({}, database_url="postgresql://p/db")
    with pytest.raises(ValueError, match="postgresql"):
        from_environment({}, redis_url="redis://r", database_url="sqlite:///x")


def test_standby_is_a_switch() -> None:
    shared = {"RTC_GATEWAY_REDIS_URL": "redis://r:6379/0",
              "RTC_GATEWAY_DATABASE_URL": "postgresql://p/db"}
    assert from_environment(shared).standby is False
    assert from_environment({**shared, "RTC_GATEWAY_STANDBY": "true"}).standby is True
    assert from_environment({"RTC_GATEWAY_STANDBY": "0"}).standby is False
    assert from_environment(shared, standby=True).standby is True
    with pytest.raises(ValueError, match="true or false"):
        from_environment({**shared, "RTC_GATEWAY_STANDBY": "maybe"})
    with pytest.raises(ValueError, match="needs redis_url"):
        from_environment({"RTC_GATEWAY_STANDBY": "1"})
