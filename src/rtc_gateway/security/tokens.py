"""Signed bearer tokens for citizens and agents (JWT, EdDSA over Ed25519).

Citizen and agent tokens carry different audiences, so one can never pass for the other.
Tokens are never logged: callers log the subject id only.

Every token carries an id (``jti``) and a generation (``gen``: its issue instant in
microseconds, strictly increasing per authority). A staff token is refused once revoked
(by its id, or its holder's tokens issued before an instant); a citizen token once a
newer one was issued for the same identity. Both checks are lookups in a
:class:`RevocationList`, in memory: no I/O on the connect path.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import STAFF_ROLES, Role
from rtc_gateway.ports.clock import Clock
from rtc_gateway.security.revocation_list import RevocationList

ISSUER = "rtc-gateway"
CITIZEN_AUDIENCE = "rtc-gateway/citizen"
AGENT_AUDIENCE = "rtc-gateway/agent"
ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    subject: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenStamp:
    """What identifies one token among its holder's: enough to re-check it later."""

    subject: str
    token_id: str
    generation: int
    expires_us: int


def new_citizen_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


class TokenAuthority:
    def __init__(self, key: Ed25519PrivateKey, clock: Clock, citizen_ttl_s: float,
                 revocations: RevocationList | None = None,
                 citizen_grace_s: float = 120.0,
                 previous_key: Ed25519PublicKey | None = None) -> None:
        self._key = key
        self._verifying = _verifying_keys(key, previous_key)
        self._clock = clock
        self._citizen_ttl = timedelta(seconds=citizen_ttl_s)
        self.revocations = RevocationList() if revocations is None else revocations
        self._last_generation = 0
        self._citizen_grace_us = int(citizen_grace_s * 1_000_000)

    def use_keys(self, key: Ed25519PrivateKey, previous_key: Ed25519PublicKey | None) -> None:
        """Sign with ``key`` from now on; accept what it or ``previous_key`` signed (a
        rotation, see ``security/token_keys``)."""
        self._key = key
        self._verifying = _verifying_keys(key, previous_key)

    def new_citizen(self) -> IssuedToken:
        """The first token of a new anonymous identity: it has no older token to end, so
        nothing is recorded (an anonymous flood costs the revocation store nothing)."""
        return self._mint(new_citizen_id(), CITIZEN_AUDIENCE, self._citizen_ttl,
                          {"role": "citizen"})

    def mint_citizen(self, citizen_id: str) -> IssuedToken:
        """A token for ``citizen_id``; every older token of that identity ends now."""
        generation = self._next_generation()
        issued = self._mint(citizen_id, CITIZEN_AUDIENCE, self._citizen_ttl,
                            {"role": "citizen"}, generation)
        self.revocations.citizen_issued(citizen_id, generation, _us(issued.expires_at))
        return issued

    def renew_citizen(self, token: object,
                      admit: Callable[[str], None] | None = None) -> IssuedToken:
        """A fresh token for the identity of a valid one (what each connect does);
        ``admit`` may refuse the identity (by raising) before anything is signed."""
        presented = self._verify_citizen(token)
        if admit is not None:
            admit(presented.subject)
        generation = self._next_generation()
        issued = self._mint(presented.subject, CITIZEN_AUDIENCE, self._citizen_ttl,
                            {"role": "citizen"}, generation)
        self.revocations.citizen_renewed(
            presented.subject, presented.generation, generation, _us(issued.expires_at),
            _us(self._clock.now()) + self._citizen_grace_us)
        return issued

    def verify_citizen(self, token: object) -> str:
        return self._verify_citizen(token).subject

    def _verify_citizen(self, token: object) -> TokenStamp:
        claims = self._verify(token, CITIZEN_AUDIENCE)
        if claims.get("role") != Role.CITIZEN.value:
            raise Unauthorized("not a citizen token")
        stamp = _stamp(claims)
        if self.revocations.citizen_superseded(stamp.subject, stamp.generation,
                                               _us(self._clock.now())):
            raise Unauthorized("token superseded by a newer one")
        return stamp

    def mint_agent(self, profile: AgentProfile, ttl_s: float) -> IssuedToken:
        claims = {
            "role": profile.role.value,
            "name": profile.display_name,
            "service": profile.service.value,
            "topics": sorted(profile.topics),
            "languages": sorted(profile.languages),
            "max_chats": profile.max_chats,
        }
        if profile.unit is not None:
            claims["unit"] = profile.unit
        return self._mint(profile.agent_id, AGENT_AUDIENCE, timedelta(seconds=ttl_s), claims)

    def verify_agent(self, token: object) -> AgentProfile:
        return self.verify_agent_stamped(token)[0]

    def verify_agent_stamped(self, token: object) -> tuple[AgentProfile, TokenStamp]:
        """The staff profile of a valid, unrevoked token, and that token's stamp."""
        claims = self._verify(token, AGENT_AUDIENCE)
        stamp = _stamp(claims)
        if self.staff_revoked(stamp):
            raise Unauthorized("token revoked")
        return _profile(claims), stamp

    def staff_revoked(self, stamp: TokenStamp) -> bool:
        return self.revocations.staff_revoked(stamp.subject, stamp.token_id, stamp.generation)

    def staff_stamp(self, token: object) -> TokenStamp:
        """The stamp of a staff token this authority signed, even expired (to revoke it)."""
        claims = self._verify(token, AGENT_AUDIENCE, check_expiry=False)
        if "jti" not in claims:
            raise Unauthorized("this token has no id: revoke its holder instead")
        return _stamp(claims)

    def _next_generation(self) -> int:
        self._last_generation = max(_us(self._clock.now()), self._last_generation + 1)
        return self._last_generation

    def _mint(self, subject: str, audience: str, ttl: timedelta,
              extra: dict[str, Any], generation: int | None = None) -> IssuedToken:
        now = self._clock.now()
        expires_at = now + ttl
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": secrets.token_urlsafe(12),
            "gen": generation if generation is not None else self._next_generation(),
            **extra,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return IssuedToken(token, subject, expires_at)

    def _verify(self, token: object, audience: str, check_expiry: bool = True) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise Unauthorized("missing or malformed token")
        *first, last = self._verifying  # the key signing now, then the one it replaced
        try:
            for public_key in first:
                try:
                    return _decode(token, public_key, audience, check_expiry)
                except jwt.InvalidSignatureError:
                    continue
            return _decode(token, last, audience, check_expiry)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc


def _verifying_keys(key: Ed25519PrivateKey, previous_key: Ed25519PublicKey | None
                    ) -> tuple[Ed25519PublicKey, ...]:
    current = key.public_key()
    return (current,) if previous_key is None else (current, previous_key)


def _decode(token: str, public_key: Ed25519PublicKey, audience: str,
            check_expiry: bool) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        public_key,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["exp", "sub", "aud", "iss"], "verify_exp": check_expiry},
    )
    return claims


def _us(instant: datetime) -> int:
    return int(instant.timestamp() * 1_000_000)


def _stamp(claims: dict[str, Any]) -> TokenStamp:
    """Tokens minted before ids and generations existed count as generation ``iat``."""
    try:
        iat = int(claims.get("iat", 0))
        generation = claims.get("gen", iat * 1_000_000)
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise TypeError(generation)
        return TokenStamp(str(claims["sub"]), str(claims.get("jti", "")), generation,
                          int(claims["exp"]) * 1_000_000)
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("malformed token") from exc


def _profile(claims: dict[str, Any]) -> AgentProfile:
    try:
        role = Role(claims["role"])
        if role not in STAFF_ROLES:
            raise ValueError(role)
        return AgentProfile(
            agent_id=str(claims["sub"]),
            display_name=str(claims["name"]),
            service=Force(claims["service"]),
            role=role,
            topics=frozenset(map(str, claims.get("topics", []))),
            languages=frozenset(map(str, claims.get("languages", []))),
            max_chats=int(claims.get("max_chats", 3)),
            unit=str(claims["unit"]) if claims.get("unit") is not None else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("malformed agent token") from exc
