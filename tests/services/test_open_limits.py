"""Open-conversation caps: places are taken before the opening is durable."""

from datetime import UTC, datetime

import pytest

from rtc_gateway.domain.conversation import Conversation, Status
from rtc_gateway.domain.errors import Conflict, RateLimited
from rtc_gateway.domain.priority import Priority
from rtc_gateway.services.limit_log import LimitLog
from rtc_gateway.services.open_limits import OpenLimits


class Trips:
    def __init__(self) -> None:
        self.tripped: list[str] = []

    def limit_tripped(self, limit: str) -> None:
        self.tripped.append(limit)


def conversation(cid: str, citizen_id: str) -> Conversation:
    return Conversation(cid, citizen_id, "general", None, Priority.URGENT, False, "fr",
                        datetime.now(UTC))


def limits(per_identity: int, per_address: int) -> tuple[OpenLimits, Trips]:
    trips = Trips()
    return OpenLimits(per_identity, per_address, LimitLog(trips, lambda: 0.0)), trips


def test_pending_places_count_against_both_caps() -> None:
    caps, trips = limits(per_identity=2, per_address=3)
    caps.reserve("c_1", "10.0.0.1", already_open=0)
    caps.reserve("c_1", "10.0.0.1", already_open=0)
    with pytest.raises(Conflict):
        caps.reserve("c_1", "10.0.0.1", already_open=0)
    caps.reserve("c_2", "10.0.0.1", already_open=0)
    with pytest.raises(RateLimited):
        caps.reserve("c_3", "10.0.0.1", already_open=0)
    caps.reserve("c_3", "10.0.0.2", already_open=0)
    assert trips.tripped == ["open_per_identity", "open_per_address"]


def test_closing_or_failing_frees_the_place() -> None:
    caps, _ = limits(per_identity=1, per_address=1)
    failed = caps.reserve("c_1", "10.0.0.1", already_open=0)
    caps.release(failed)
    place = caps.reserve("c_1", "10.0.0.1", already_open=0)
    opened = conversation("cv_1", "c_1")
    caps.confirm(place, opened)
    assert caps.address_of("cv_1") == "10.0.0.1"
    with pytest.raises(Conflict):
        caps.reserve("c_1", "10.0.0.1", already_open=1)


async def test_a_conversation_closed_before_it_was_confirmed_frees_its_place() -> None:
    caps, _ = limits(per_identity=1, per_address=1)
    place = caps.reserve("c_1", "10.0.0.1", already_open=0)
    opened = conversation("cv_1", "c_1")
    opened.status = Status.CLOSED
    await caps.closed(opened)
    caps.confirm(place, opened)
    caps.reserve("c_1", "10.0.0.1", already_open=0)


async def test_closed_conversations_free_their_address() -> None:
    caps, _ = limits(per_identity=5, per_address=1)
    opened = conversation("cv_1", "c_1")
    caps.confirm(caps.reserve("c_1", "10.0.0.1", already_open=0), opened)
    with pytest.raises(RateLimited):
        caps.reserve("c_2", "10.0.0.1", already_open=0)
    opened.status = Status.CLOSED
    await caps.closed(opened)
    caps.reserve("c_2", "10.0.0.1", already_open=0)
    assert caps.address_of("cv_1") is None
