"""A THESEE filing: what a victim declares, checked and normalised, as kept in the
case's facts; and the link keys and declared loss the desk derives from it."""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

import msgspec

from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.thesee.identifiers import IdentifierKind, link_key, normalised
from rtc_gateway.domain.thesee.scam_types import (
    Details,
    Payment,
    ScamType,
    detail_identifiers,
    detail_loss_eur,
    parse_details,
)

MAX_PAYMENTS = 200
_KINDS = frozenset(kind.value for kind in IdentifierKind)
MAX_DESCRIPTION_CHARS = 4000
IDENTIFIER_FIELDS: Mapping[str, IdentifierKind] = {
    "ibans": IdentifierKind.IBAN, "urls": IdentifierKind.DOMAIN,
    "phones": IdentifierKind.PHONE, "emails": IdentifierKind.EMAIL,
    "wallets": IdentifierKind.WALLET, "pseudonyms": IdentifierKind.PSEUDONYM,
}
"""The contract's ``identifiers`` fields and the kind of each."""


class Mode(StrEnum):
    COMPLAINT = "complaint"
    """A complaint (plainte): verified identity required."""
    REPORT = "report"
    """A report (signalement): anonymous allowed."""


class Identifiers(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    ibans: list[str] = msgspec.field(default_factory=list)
    urls: list[str] = msgspec.field(default_factory=list)
    phones: list[str] = msgspec.field(default_factory=list)
    emails: list[str] = msgspec.field(default_factory=list)
    wallets: list[str] = msgspec.field(default_factory=list)
    pseudonyms: list[str] = msgspec.field(default_factory=list)


class Filing(msgspec.Struct, frozen=True, kw_only=True):
    scam_type: ScamType
    mode: Mode
    description: str
    identifiers: Identifiers
    """As declared (the victim's spelling), so a reviewer sees what was written."""
    normalised: dict[str, list[str]]
    """The same, normalised: ``{"iban": [...], "domain": [...], ...}``."""
    payments: tuple[Payment, ...]
    details: Details
    declared_loss_eur: float


def _normalised(identifiers: Identifiers, details: Details) -> dict[str, list[str]]:
    gathered: dict[IdentifierKind, list[str]] = {kind: [] for kind in IdentifierKind}
    for field, kind in IDENTIFIER_FIELDS.items():
        gathered[kind].extend(getattr(identifiers, field))
    for kind, values in detail_identifiers(details).items():
        gathered[kind].extend(values)
    return {kind.value: normalised(kind, values) for kind, values in gathered.items() if values}


def build_filing(scam_type: ScamType, mode: Mode, description: str, identifiers: Identifiers,
                 payments: list[Payment], details_raw: Any, today: date) -> Filing:
    """Check everything a filing says; 400 naming the first fault."""
    if not description.strip():
        raise BadRequest("a description of what happened is required")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise BadRequest(f"the description is over {MAX_DESCRIPTION_CHARS} characters")
    if len(payments) > MAX_PAYMENTS:
        raise BadRequest(f"at most {MAX_PAYMENTS} payments")
    for payment in payments:
        if payment.date > today:
            raise BadRequest("a payment date is in the future")
    details = parse_details(scam_type, details_raw, today)
    loss = sum(p.amount_eur for p in payments) + detail_loss_eur(details)
    return Filing(scam_type=scam_type, mode=mode, description=description,
                  identifiers=identifiers, normalised=_normalised(identifiers, details),
                  payments=tuple(payments), details=details,
                  declared_loss_eur=round(loss, 2))


def link_keys(normalised_ids: Mapping[str, list[str]]) -> frozenset[str]:
    return frozenset(link_key(IdentifierKind(kind), value)
                     for kind, values in normalised_ids.items() for value in values)


def facts_of(filing: Filing) -> dict[str, Any]:
    """The case's ``facts``: the filing as plain JSON values."""
    facts: dict[str, Any] = msgspec.to_builtins(filing)
    return facts


def loss_of(facts: Mapping[str, Any]) -> float:
    value = facts.get("declared_loss_eur")
    return float(value) if isinstance(value, int | float) else 0.0


def keys_of(facts: Mapping[str, Any]) -> frozenset[str]:
    raw = facts.get("normalised")
    if not isinstance(raw, dict):
        return frozenset()
    return link_keys({k: [str(v) for v in vs] for k, vs in raw.items()
                      if k in _KINDS and isinstance(vs, list)})


def complemented(facts: Mapping[str, Any], identifiers: Identifiers,
                 payments: list[Payment], today: date) -> dict[str, Any]:
    """The facts of a filing once the victim adds identifiers and payments (asked for
    more information, or on their own): everything checked again, as on filing."""
    try:
        declared = msgspec.convert(facts.get("identifiers") or {}, Identifiers)
        paid = msgspec.convert(facts.get("payments") or [], list[Payment])
        scam_type, mode = ScamType(facts["scam_type"]), Mode(facts["mode"])
        description = str(facts["description"])
    except (KeyError, ValueError, msgspec.ValidationError):
        raise BadRequest("this case is not a THESEE filing") from None
    merged = Identifiers(**{field: [*getattr(declared, field), *getattr(identifiers, field)]
                            for field in IDENTIFIER_FIELDS})
    return facts_of(build_filing(scam_type, mode, description, merged, [*paid, *payments],
                                 facts.get("details"), today))
