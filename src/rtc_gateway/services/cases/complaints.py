"""Online complaints (plainte en ligne) for property offences: verified citizens only."""

from collections.abc import Mapping
from typing import Any

from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.errors import Forbidden
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.services.cases.cases import CaseService


class Complaints:
    def __init__(self, cases: CaseService) -> None:
        self._cases = cases

    async def file(self, citizen: CitizenCaller, facts: Mapping[str, Any],
                   unit: UnitChoice) -> Case:
        if not citizen.verified:
            raise Forbidden("an online complaint needs a verified identity (FranceConnect)")
        return await self._cases.open(citizen, CaseKind.COMPLAINT, dict(facts), unit,
                                     identity=citizen.identity)
