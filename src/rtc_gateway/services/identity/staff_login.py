"""Staff login with the ministry's OpenID provider: the same authorization code flow as
the citizens' (PKCE, single-use state and nonce bound to the browser, signatures against
the provider's JWKS), but its own provider, client, pending logins and rules, so nothing
of a citizen's login can ever end in staff rights.

A finished login gives a staff token equivalent to ``rtc-gateway token agent``'s: the
same signing key and audience, its profile from the provider's claims
(``domain.staff_claims``), short-lived (``staff_oidc_token_ttl_s``) and revocable like any
staff token (``rtc-gateway token revoke``).
"""

import logging
from collections.abc import Mapping

from rtc_gateway.domain.identity import PendingLogin
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.staff_claims import (
    StaffClaimMapping,
    StaffClaimsRefused,
    profile_from_claims,
)
from rtc_gateway.security.tokens import IssuedToken, TokenAuthority
from rtc_gateway.services.identity import errors
from rtc_gateway.services.identity.claims import StaffIdTokenClaims
from rtc_gateway.services.identity.errors import LoginFailed
from rtc_gateway.services.identity.login import LoginFlow, StartedLogin

log = logging.getLogger(__name__)


class StaffLogin:
    def __init__(self, flow: LoginFlow, tokens: TokenAuthority, mapping: StaffClaimMapping,
                 role_values: Mapping[str, Role], token_ttl_s: float) -> None:
        self._flow = flow
        self._tokens = tokens
        self._mapping = mapping
        self._role_values = dict(role_values)
        self._token_ttl_s = token_ttl_s

    async def start(self, return_to: str, browser_value: str | None) -> StartedLogin:
        return await self._flow.start(return_to, browser_value)

    async def take(self, state: str | None, browser_value: str | None) -> PendingLogin:
        return await self._flow.take(state, browser_value)

    async def finish(self, login: PendingLogin, params: Mapping[str, str]) -> IssuedToken:
        verified = await self._flow.verify(login, params, StaffIdTokenClaims)
        try:
            profile = profile_from_claims({**verified.userinfo, **verified.id_claims},
                                          self._mapping, self._role_values)
        except StaffClaimsRefused as refused:
            raise LoginFailed(errors.STAFF_CLAIMS_REFUSED, str(refused)) from None
        issued = self._tokens.mint_agent(profile, self._token_ttl_s)
        log.info("staff logged in", extra={"agent_id": profile.agent_id,
                                           "role": profile.role.value,
                                           "issuer": self._flow.issuer})
        return issued
