"""Which claims of the ministry's OpenID provider make a staff profile, and the rules a
profile made from them must follow.

The mapping is configuration (``RTC_GATEWAY_STAFF_OIDC_CLAIMS``: ``field=claim`` pairs
over the defaults below); role values may be renamed too
(``RTC_GATEWAY_STAFF_OIDC_ROLE_VALUES``: ``provider_value=role``). A claim that is
missing or out of range refuses the login: nobody gets a staff token on a guess.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import STAFF_ROLES, Role
from rtc_gateway.domain.units import MAX_UNIT_ID_CHARS, UNIT_ID

MAX_CAPACITY = 50
MAX_ID_CHARS = 128
MAX_NAME_CHARS = 120
MAX_LIST_ITEMS = 50
_TEXT = re.compile(r"^[^\x00-\x1f\x7f]+$")


class StaffClaimsRefused(Exception):
    """The provider's claims do not make a valid staff profile; the message says which."""


@dataclass(frozen=True, slots=True)
class StaffClaimMapping:
    """The claim that carries each part of the profile."""

    id: str = "sub"
    name: str = "name"
    role: str = "role"
    force: str = "force"
    unit: str = "unit"
    topics: str = "topics"
    languages: str = "languages"
    capacity: str = "max_chats"

    @classmethod
    def parse(cls, text: str) -> "StaffClaimMapping":
        """``role=rtc_role,force=service`` over the defaults; ValueError when wrong."""
        known = {f.name for f in fields(cls)}
        changes: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in text.split(","))):
            field, _, claim = pair.partition("=")
            if field.strip() not in known or not claim.strip():
                raise ValueError(f"staff claim mapping {pair!r}: expected FIELD=CLAIM with "
                                 f"FIELD one of {', '.join(sorted(known))}")
            changes[field.strip()] = claim.strip()
        return replace(cls(), **changes)


def parse_role_values(text: str) -> dict[str, Role]:
    """``OPJ=agent,CHEF=supervisor``: provider values renamed to staff roles."""
    values: dict[str, Role] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        value, _, role = pair.partition("=")
        try:
            values[value.strip()] = _staff_role(role.strip())
            if not value.strip():
                raise StaffClaimsRefused("empty value")
        except StaffClaimsRefused:
            raise ValueError(f"staff role value {pair!r}: expected VALUE=agent|supervisor|"
                             "reviewer") from None
    return values


def profile_from_claims(claims: Mapping[str, Any], mapping: StaffClaimMapping,
                        role_values: Mapping[str, Role] | None = None) -> AgentProfile:
    """The staff profile the claims describe; :class:`StaffClaimsRefused` otherwise."""
    agent_id = _text(claims, mapping.id, MAX_ID_CHARS)
    raw_role = _text(claims, mapping.role, 64)
    role = (role_values or {}).get(raw_role) or _staff_role(raw_role)
    force_name = _text(claims, mapping.force, 32)
    try:
        force = Force(force_name)
    except ValueError:
        raise StaffClaimsRefused(f"claim {mapping.force!r}: not a force") from None
    unit = claims.get(mapping.unit)
    if unit is not None:
        unit = _text(claims, mapping.unit, MAX_UNIT_ID_CHARS)
        if not UNIT_ID.match(unit) or unit.split("-", 1)[0] != force.value:
            raise StaffClaimsRefused(f"claim {mapping.unit!r}: not a unit of the {force.value}")
    return AgentProfile(
        agent_id=agent_id, display_name=_display_name(claims, mapping, agent_id),
        service=force, role=role, topics=_strings(claims, mapping.topics, frozenset()),
        languages=_strings(claims, mapping.languages, frozenset({"fr"})),
        max_chats=_capacity(claims, mapping.capacity), unit=unit)


def _staff_role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = Role.CITIZEN
    if role not in STAFF_ROLES:
        raise StaffClaimsRefused("the role is not agent, supervisor or reviewer")
    return role


def _text(claims: Mapping[str, Any], claim: str, limit: int) -> str:
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise StaffClaimsRefused(f"claim {claim!r} missing")
    value = value.strip()
    if len(value) > limit or not _TEXT.match(value):
        raise StaffClaimsRefused(f"claim {claim!r} malformed")
    return value


def _display_name(claims: Mapping[str, Any], mapping: StaffClaimMapping, agent_id: str) -> str:
    name = claims.get(mapping.name)
    if not isinstance(name, str) or not name.strip():
        name = " ".join(str(claims[part]) for part in ("given_name", "family_name")
                        if isinstance(claims.get(part), str))
    name = name.strip()[:MAX_NAME_CHARS]
    return name if name and _TEXT.match(name) else agent_id


def _strings(claims: Mapping[str, Any], claim: str, default: frozenset[str]) -> frozenset[str]:
    value = claims.get(claim)
    if value is None:
        return default
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if (not isinstance(value, list) or len(value) > MAX_LIST_ITEMS
            or not all(isinstance(v, str) and 0 < len(v) <= 64 and _TEXT.match(v)
                       for v in value)):
        raise StaffClaimsRefused(f"claim {claim!r}: not a list of short strings")
    return frozenset(value)


def _capacity(claims: Mapping[str, Any], claim: str) -> int:
    value = claims.get(claim, 3)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise StaffClaimsRefused(f"claim {claim!r}: not a number of chats from 1 to "
                                 f"{MAX_CAPACITY}")
    return value
