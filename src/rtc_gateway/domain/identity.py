"""A citizen's identity as a FranceConnect-style provider vouches for it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACCEPTED_ACR = frozenset({"eidas1", "eidas2", "eidas3"})
"""eIDAS levels of assurance a verified session may rest on (``eidas1`` is the least)."""

IDENTITY_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace",
                   "birthcountry", "email")


@dataclass(frozen=True, slots=True)
class CitizenIdentity:
    """The claims kept from the ID token and the userinfo answer; ``subject`` is the
    provider's identifier of the person (``sub``), ``issuer`` the provider."""

    issuer: str
    subject: str
    acr: str
    claims: Mapping[str, str]

    @classmethod
    def from_claims(cls, issuer: str, acr: str, merged: Mapping[str, Any]) -> "CitizenIdentity":
        kept = {name: str(merged[name]) for name in IDENTITY_CLAIMS
                if isinstance(merged.get(name), str | int) and merged.get(name) != ""}
        return cls(issuer, str(merged["sub"]), acr, kept)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.claims.get("given_name"),
                                          self.claims.get("family_name")) if part)

    def public_view(self) -> dict[str, str | None]:
        """What ``/api/v1/me`` shows of the identity."""
        return {name: self.claims.get(name)
                for name in ("given_name", "family_name", "birthdate")}


@dataclass(frozen=True, slots=True)
class VerifiedSession:
    """A browser's verified session (the ``rtc_session`` cookie names it).

    ``citizen_ids`` are the citizen identities this session vouches for: the one it
    created, and any anonymous chat identity stepped up with ``identity:link``.
    ``id_token`` is kept only as the ``id_token_hint`` of the provider's logout.
    """

    session_id: str
    citizen_id: str
    identity: CitizenIdentity
    id_token: str
    verified_at: datetime
    expires_at: datetime
    citizen_ids: frozenset[str] = frozenset()

    def vouches_for(self, citizen_id: str) -> bool:
        return citizen_id == self.citizen_id or citizen_id in self.citizen_ids


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A login sent to the provider and not back yet; ``state`` names it, and only the
    browser holding ``browser_key``'s pre-image may finish it."""

    state: str
    browser_key: str
    nonce: str
    code_verifier: str
    return_to: str
    expires_at: datetime
