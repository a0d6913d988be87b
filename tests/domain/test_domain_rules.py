"""Small pure rules: zones, wait estimates, token bucket, access, timestamps, ordering."""

from datetime import UTC, datetime

from rtc_gateway.domain.access import may_act_on
from rtc_gateway.domain.conversation import Conversation, Location, idempotency_key
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.message import Message, Sender
from rtc_gateway.domain.priority import Priority
from rtc_gateway.domain.rate_limit import TokenBucket
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc, parse_utc
from rtc_gateway.domain.wait_estimate import HandlingTimes, estimate_wait_s
from rtc_gateway.domain.zones import distance_km, force_for_location, load_default_zones

NOW = datetime(2026, 11, 30, 0, 37, 22, 123456, tzinfo=UTC)


def conversation() -> Conversation:
    return Conversation("cv", "c_1", "general", Force.POLICE, Priority.NORMAL, False, "fr", NOW,
                        agent_id="a1")


def test_timestamps_are_rfc3339_utc_milliseconds() -> None:
    assert format_utc(NOW) == "2026-11-30T00:37:22.123Z"
    assert parse_utc("2026-11-30T00:37:22.123Z") == NOW.replace(microsecond=123000)


def test_zones_police_in_cities_gendarmerie_elsewhere() -> None:
    zones = load_default_zones()
    assert force_for_location(Location(48.8738, 2.2950), zones) is Force.POLICE
    assert force_for_location(Location(45.7578, 4.8320), zones) is Force.POLICE
    assert force_for_location(Location(44.35, 2.57), zones) is Force.GENDARMERIE
    assert round(distance_km(Location(48.8566, 2.3522), Location(45.7640, 4.8357))) == 391


def test_wait_estimate_uses_recent_handling_times() -> None:
    times = HandlingTimes(window=3)
    assert times.mean() is None, "no figure before any conversation was handled"
    for seconds in (100, 200, 300, 600):
        times.add(seconds)
    assert times.mean() == 366.6666666666667
    assert estimate_wait_s(position=3, serving_slots=2, mean_handling_s=100) == 150
    assert estimate_wait_s(position=1, serving_slots=0, mean_handling_s=100) is None
    assert estimate_wait_s(position=1, serving_slots=2, mean_handling_s=None) is None
    assert estimate_wait_s(position=1, serving_slots=4, mean_handling_s=9) == 5
    assert estimate_wait_s(position=1, serving_slots=10, mean_handling_s=23) == 5
    assert estimate_wait_s(position=7, serving_slots=1, mean_handling_s=100) == 720


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket.full(rate_per_s=2, burst=3, now=0)
    assert [bucket.try_take(0) for _ in range(4)] == [True, True, True, False]
    assert bucket.try_take(0.5) and not bucket.try_take(0.5)
    assert bucket.try_take(100) and bucket.tokens == 2


def test_access_rules() -> None:
    conv = conversation()
    assert may_act_on(Actor(Role.CITIZEN, "c_1"), conv)
    assert not may_act_on(Actor(Role.CITIZEN, "c_2"), conv)
    assert may_act_on(Actor(Role.AGENT, "a1"), conv)
    assert not may_act_on(Actor(Role.AGENT, "a2"), conv)
    assert may_act_on(Actor(Role.SUPERVISOR, "s"), conv)
    assert not may_act_on(Actor(Role.REVIEWER, "r"), conv)


def test_delivered_messages_stay_in_seq_order() -> None:
    conv = conversation()
    for seq in (1, 3, 2, 5, 4):
        conv.record_delivered(Message("cv", seq, Sender.CITIZEN, "t", NOW, f"m{seq}"),
                              idempotency_key("citizen", "c_1", f"m{seq}"))
    assert [m.seq for m in conv.messages] == [1, 2, 3, 4, 5]
    known = conv.sent_before(idempotency_key("citizen", "c_1", "m3"))
    assert known is not None and known.seq == 3
    assert conv.sent_before(idempotency_key("citizen", "c_2", "m3")) is None
    assert conv.sent_before(idempotency_key("agent", "c_1", "m3")) is None
