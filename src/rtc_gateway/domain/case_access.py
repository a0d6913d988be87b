"""Who may see and act on a case.

A citizen: their own cases only. Agents and supervisors: the cases of their force,
narrowed to their unit when their token names one (a case with no unit yet is seen by
the whole force). Reviewers: THESEE cases only. A case outside a caller's scope is
answered as if it did not exist.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.roles import Role


@dataclass(frozen=True, slots=True)
class CitizenCaller:
    citizen_id: str
    verified: bool
    also: frozenset[str] = frozenset()
    """Other citizen ids the same verified session vouches for (a stepped-up chat)."""
    identity: Mapping[str, str] | None = None
    """The verified session's identity claims (name, birth date, ...), when verified."""

    def owns(self, case: Case) -> bool:
        return case.citizen_id == self.citizen_id or case.citizen_id in self.also


def staff_sees(profile: AgentProfile, case: Case) -> bool:
    if profile.role is Role.REVIEWER:
        return case.kind is CaseKind.THESEE
    return (case.force is profile.service
            and (profile.unit is None or case.unit_id in (None, profile.unit)))


def staff_may_decide(profile: AgentProfile, case: Case) -> bool:
    """THESEE cases are decided by reviewers only, the others by the force's officers."""
    if case.kind is CaseKind.THESEE:
        return profile.role is Role.REVIEWER
    return profile.role is not Role.REVIEWER
