"""The claim rules of an ID token and a signed userinfo answer (OpenID Connect Core 3.1.3.7)."""

from collections.abc import Callable
from typing import Any

from joserfc.errors import InvalidClaimError, MissingClaimError
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from rtc_gateway.domain.identity import ACCEPTED_ACR

LEEWAY_S = 30
"""Clock skew tolerated on ``exp`` and ``iat``."""


class IdTokenClaims(JWTClaimsRegistry):
    """Exact ``iss``, our client in ``aud``, ``azp`` our client when present (and required
    when ``aud`` names others), unexpired, the login's ``nonce``, an accepted ``acr``."""

    def __init__(self, now: Callable[[], int], *, issuer: str, client_id: str,
                 nonce: str) -> None:
        super().__init__(
            now=now, leeway=LEEWAY_S,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
            **self.acr_option())
        self._client_id = client_id

    @staticmethod
    def acr_option() -> dict[str, ClaimsOption]:
        return {"acr": {"essential": True, "values": sorted(ACCEPTED_ACR)}}

    def validate(self, claims: dict[str, Any]) -> None:
        super().validate(claims)
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and "azp" not in claims:
            raise MissingClaimError("azp")

    def validate_azp(self, value: object) -> None:
        if value != self._client_id:
            raise InvalidClaimError("azp")

    def validate_acr(self, value: object) -> None:
        if not isinstance(value, str):
            raise InvalidClaimError("acr")
        self.check_value("acr", value)


class UserinfoClaims(JWTClaimsRegistry):
    """A signed userinfo answer: same issuer and audience, the same person (``sub``)."""

    def __init__(self, now: Callable[[], int], *, issuer: str, client_id: str,
                 subject: str) -> None:
        super().__init__(
            now=now, leeway=LEEWAY_S,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True, "value": subject})


class StaffIdTokenClaims(IdTokenClaims):
    """A staff provider's ID token: the same rules, without FranceConnect's eIDAS levels."""

    @staticmethod
    def acr_option() -> dict[str, ClaimsOption]:
        return {}

    def validate_acr(self, value: object) -> None:
        return None
