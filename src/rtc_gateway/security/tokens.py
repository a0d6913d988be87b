"""Signed bearer tokens for citizens and agents (JWT, EdDSA over Ed25519).

Citizen and agent tokens carry different audiences, so one can never pass for the other.
Tokens are never logged: callers log the subject id only.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import STAFF_ROLES, Role
from rtc_gateway.ports.clock import Clock

ISSUER = "rtc-gateway"
CITIZEN_AUDIENCE = "rtc-gateway/citizen"
AGENT_AUDIENCE = "rtc-gateway/agent"
ALGORITHM = "EdDSA"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    subject: str
    expires_at: datetime


def new_citizen_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


class TokenAuthority:
    def __init__(self, key: Ed25519PrivateKey, clock: Clock, citizen_ttl_s: float) -> None:
        self._key = key
        self._public_key = key.public_key()
        self._clock = clock
        self._citizen_ttl = timedelta(seconds=citizen_ttl_s)

    def mint_citizen(self, citizen_id: str) -> IssuedToken:
        return self._mint(citizen_id, CITIZEN_AUDIENCE, self._citizen_ttl, {"role": "citizen"})

    def verify_citizen(self, token: object) -> str:
        claims = self._verify(token, CITIZEN_AUDIENCE)
        if claims.get("role") != Role.CITIZEN.value:
            raise Unauthorized("not a citizen token")
        return str(claims["sub"])

    def mint_agent(self, profile: AgentProfile, ttl_s: float) -> IssuedToken:
        claims = {
            "role": profile.role.value,
            "name": profile.display_name,
            "service": profile.service.value,
            "topics": sorted(profile.topics),
            "languages": sorted(profile.languages),
            "max_chats": profile.max_chats,
        }
        return self._mint(profile.agent_id, AGENT_AUDIENCE, timedelta(seconds=ttl_s), claims)

    def verify_agent(self, token: object) -> AgentProfile:
        claims = self._verify(token, AGENT_AUDIENCE)
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
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("malformed agent token") from exc

    def _mint(self, subject: str, audience: str, ttl: timedelta,
              extra: dict[str, Any]) -> IssuedToken:
        now = self._clock.now()
        expires_at = now + ttl
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            **extra,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return IssuedToken(token, subject, expires_at)

    def _verify(self, token: object, audience: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise Unauthorized("missing or malformed token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        return claims
