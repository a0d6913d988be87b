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
