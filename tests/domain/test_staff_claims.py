"""A staff provider's claims as a staff profile: the mapping, role values, refusals."""

import pytest

from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.staff_claims import (
    StaffClaimMapping,
    StaffClaimsRefused,
    parse_role_values,
    profile_from_claims,
)

CLAIMS = {"sub": "a1", "role": "agent", "force": "police"}


def test_defaults_and_parsing() -> None:
    profile = profile_from_claims(CLAIMS, StaffClaimMapping())
    assert (profile.agent_id, profile.display_name, profile.role, profile.unit,
            profile.max_chats, profile.languages, profile.topics) == (
        "a1", "a1", Role.AGENT, None, 3, frozenset({"fr"}), frozenset())
    mapping = StaffClaimMapping.parse(" role = grade , unit=unite ")
    assert mapping.role == "grade" and mapping.unit == "unite" and mapping.force == "force"
    assert parse_role_values("OPJ=agent, CDT=supervisor") == {"OPJ": Role.AGENT,
                                                             "CDT": Role.SUPERVISOR}
    profile = profile_from_claims({**CLAIMS, "topics": "theft, fraud", "max_chats": "4"},
                                  StaffClaimMapping())
    assert profile.topics == {"theft", "fraud"} and profile.max_chats == 4


@pytest.mark.parametrize("text", ["grade=role", "role", "role=", "=x"])
def test_bad_mapping(text: str) -> None:
    with pytest.raises(ValueError):
        StaffClaimMapping.parse(text)


@pytest.mark.parametrize("text", ["OPJ=citizen", "OPJ=system", "OPJ=chef", "OPJ"])
def test_bad_role_values(text: str) -> None:
    with pytest.raises(ValueError):
        parse_role_values(text)


@pytest.mark.parametrize("claims", [
    {**CLAIMS, "role": "citizen"}, {**CLAIMS, "role": ""}, {**CLAIMS, "role": ["agent"]},
    {**CLAIMS, "sub": "x" * 200}, {**CLAIMS, "max_chats": True},
    {**CLAIMS, "unit": 12}, {**CLAIMS, "languages": ["fr"] * 51},
])
def test_refusals(claims: dict[str, object]) -> None:
    with pytest.raises(StaffClaimsRefused):
        profile_from_claims(claims, StaffClaimMapping())
