"""Complaints outside the walls on the cases framework: any citizen asks; the competent
unit's officers (the force covering the third party's place) accept, plan the visit
(who, when, where) and record its outcome; the victim follows it and may cancel
(withdraw). Officers of another force never see it."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus
from rtc_gateway.domain.errors import Conflict
from rtc_gateway.domain.outside_walls import check_visit_time
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.services.cases.cases import CaseService

KIND = CaseKind.OUTSIDE_WALLS


class OutsideWalls:
    def __init__(self, cases: CaseService) -> None:
        self._cases = cases

    async def request(self, citizen: CitizenCaller, details: Mapping[str, Any],
                      unit: UnitChoice) -> Case:
        return await self._cases.open(citizen, KIND, dict(details), unit)

    async def plan_visit(self, staff: AgentProfile, case_id: str, officers: list[str],
                         at: datetime, place: Mapping[str, Any] | None,
                         note: str | None) -> Case:
        case = await self._cases.get(staff, case_id)
        if case.kind is KIND:
            check_visit_time(list(case.facts.get("time_windows", [])), at)
            if case.status not in (CaseStatus.ACCEPTED, CaseStatus.PLANNED):
                raise Conflict("accept the request before planning the visit")
        visit = {"officers": officers, "at": format_utc(at),
                 "place": dict(place) if place else case.facts.get("place"),
                 "planned_by": staff.agent_id}
        return await self._cases.decide_with_details(staff, case_id, KIND, "reschedule", note,
                                                     {"visit": visit})

    async def record_outcome(self, staff: AgentProfile, case_id: str, outcome: str,
                             note: str | None) -> Case:
        case = await self._cases.get(staff, case_id)
        if case.kind is KIND and case.status is not CaseStatus.PLANNED:
            raise Conflict("no visit is planned")
        return await self._cases.decide_with_details(
            staff, case_id, KIND, "close", note,
            {"visit_outcome": {"outcome": outcome, "recorded_by": staff.agent_id}})
