"""The THESEE services over the memory stores and the memory evidence log, on a clock
the tests move: claims racing, expiring, four-eyes off, a series growing, retention."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from rtc_gateway.adapters.memory.case_store import MemoryCaseStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.memory.thesee_store import MemoryTheseeStore
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.errors import Conflict, Forbidden
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.thesee.filing import Identifiers, Mode
from rtc_gateway.domain.thesee.scam_types import Payment
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.gateway.thesee_routes import parse_draft
from rtc_gateway.ports.thesee_store import QueueFilter
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.thesee.desk import ReviewDesk
from rtc_gateway.services.thesee.filings import FilingInput, TheseeFilings
from rtc_gateway.services.thesee.observed_store import ObservedCaseStore
from rtc_gateway.services.thesee.retention import Retention
from tests.support.units import sample_units

CITIZEN = CitizenCaller("cit-1", verified=False)


class MovingClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


def reviewer(agent_id: str) -> AgentProfile:
    return AgentProfile(agent_id, agent_id, Force.POLICE, Role.REVIEWER)


class Desk:
    def __init__(self, threshold: float | None = None) -> None:
        self.clock = MovingClock()
        self.evidence = MemoryEvidenceLog()
        self.case_store = ObservedCaseStore(MemoryCaseStore())
        self.store = MemoryTheseeStore()
        self.cases = CaseService(self.case_store, self.evidence, self.clock,
                                 sample_units())
        self.desk = ReviewDesk(self.cases, self.case_store, self.store, self.clock, threshold)
        self.filings = TheseeFilings(self.cases, self.store, self.clock, parse_draft)

    async def file(self, phones: list[str], amount: float = 20.0) -> str:
        case = await self.filings.file(CITIZEN, FilingInput(
            "blackmail", Mode.REPORT, "chantage", Identifiers(phones=phones),
            [Payment(amount_eur=amount, date=self.clock.at.date())],
            {"channel": "sms", "demanded_amount_eur": 100}, UnitChoice()))
        return case.id


async def test_two_reviewers_racing_for_a_claim_one_wins() -> None:
    world = Desk()
    case_id = await world.file(["0612345678"])
    results = await asyncio.gather(world.desk.claim(reviewer("r1"), case_id),
                                   world.desk.claim(reviewer("r2"), case_id),
                                   return_exceptions=True)
    assert sum(isinstance(r, Conflict) for r in results) == 1
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert world.desk.claim_of(case_id) == winner
    world.clock.at += timedelta(minutes=30)
    assert world.desk.claim_of(case_id) is None


async def test_without_a_threshold_one_reviewer_validates_anything() -> None:
    world = Desk(threshold=None)
    case_id = await world.file(["0612345678"], amount=9_000_000)
    decided = await world.cases.decide(reviewer("r1"), case_id, "validate", None)
    assert decided.status is CaseStatus.REGISTERED


async def test_officers_and_supervisors_stay_off_the_desk() -> None:
    world = Desk()
    case_id = await world.file(["0612345678"])
    for role in (Role.AGENT, Role.SUPERVISOR):
        staff = AgentProfile("x", "x", Force.POLICE, role)
        with pytest.raises(Forbidden):
            await world.desk.claim(staff, case_id)
        with pytest.raises(Forbidden):
            await world.desk.queue(staff, QueueFilter())
        with pytest.raises(Forbidden):
            await world.cases.decide(staff, case_id, "validate", None)


async def test_a_series_grows_as_cases_arrive() -> None:
    world = Desk()
    first = await world.file(["0612345678"])
    lone = await world.file(["0700000000"])
    assert (await world.desk.series(reviewer("r1"), first)).case_ids == [first]
    bridge = await world.file(["+33 6 12 34 56 78", "07 00 00 00 00"])
    series = await world.desk.series(reviewer("r1"), lone)
    assert series.case_ids == sorted([first, lone, bridge])
    assert series.total_loss_eur == 60.0


async def test_retention_keeps_recent_changes() -> None:
    world = Desk()
    case_id = await world.file(["0612345678"])
    retention = Retention(world.cases, world.case_store, world.store, world.evidence,
                          world.clock)
    world.clock.at += timedelta(days=6 * 365)
    await world.desk.claim(reviewer("r1"), case_id)
    world.clock.at += timedelta(days=30)
    assert await retention.purge_expired() == []
    world.clock.at += timedelta(days=6 * 365)
    assert await retention.purge_expired() == [case_id]
    assert await world.case_store.get(case_id) is None
    assert await world.store.summary(case_id) is None
