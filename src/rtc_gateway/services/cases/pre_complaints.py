"""Pre-complaints (pré-plainte en ligne): any citizen, verified or not, declares a
property offence by an unknown author and then signs it in person at the unit."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.services.cases.cases import CaseService


class PreComplaints:
    def __init__(self, cases: CaseService) -> None:
        self._cases = cases

    async def file(self, citizen: CitizenCaller, facts: Mapping[str, Any],
                   declared_identity: Mapping[str, Any], appointment_slot: str | None,
                   unit: UnitChoice, appointment_at: datetime | None = None) -> Case:
        """``appointment_at``: when the citizen would come to sign, within the unit's
        opening (``domain.appointments``); the unit confirms or moves it."""
        details = {**facts, "declared_identity": dict(declared_identity),
                   "appointment_slot": appointment_slot}
        return await self._cases.open(citizen, CaseKind.PRE_COMPLAINT, details, unit,
                                      appointment_at=appointment_at)
