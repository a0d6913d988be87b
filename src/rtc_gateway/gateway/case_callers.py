"""Who is calling the cases API: a citizen (bearer citizen token or ``rtc_session``
cookie) or staff (bearer staff token)."""

from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.errors import Forbidden, Unauthorized
from rtc_gateway.domain.identity import VerifiedSession
from rtc_gateway.security.cookies import SESSION_COOKIE
from rtc_gateway.security.tokens import TokenAuthority
from rtc_gateway.services.identity.step_up import StepUp


def citizen_of(citizen_id: str, session: VerifiedSession | None) -> CitizenCaller:
    if session is None:
        return CitizenCaller(citizen_id, verified=False)
    return CitizenCaller(citizen_id, verified=True,
                         also=session.citizen_ids | {session.citizen_id},
                         identity=dict(session.identity.claims))


@dataclass(frozen=True)
class Callers:
    tokens: TokenAuthority
    step_up: StepUp

    async def any(self, request: web.Request) -> CitizenCaller | AgentProfile:
        header = request.headers.get("Authorization")
        if header is None:
            session = await self.step_up.session_of_cookie(request.cookies.get(SESSION_COOKIE))
            if session is None:
                raise Unauthorized("a citizen or staff token, or a verified session, "
                                   "is required")
            return citizen_of(session.citizen_id, session)
        if not header.startswith("Bearer "):
            raise Unauthorized("Authorization must be a Bearer token")
        token = header.removeprefix("Bearer ").strip()
        try:
            citizen_id = self.tokens.verify_citizen(token)
        except Unauthorized:
            return self.tokens.verify_agent(token)
        return citizen_of(citizen_id, await self.step_up.session_of_citizen(citizen_id))

    async def citizen(self, request: web.Request) -> CitizenCaller:
        caller = await self.any(request)
        if not isinstance(caller, CitizenCaller):
            raise Forbidden("this path is for citizens")
        return caller

    async def staff(self, request: web.Request) -> AgentProfile:
        caller = await self.any(request)
        if not isinstance(caller, AgentProfile):
            raise Forbidden("this path is for staff")
        return caller
