"""The citizens' login over HTTP: ``/auth/login``, ``/auth/callback``, ``/auth/logout``
and ``/api/v1/me``. Thin: the flow's rules live in ``services/identity``."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.errors import Unauthorized
from rtc_gateway.domain.identity import VerifiedSession
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.security.cookies import LOGIN_COOKIE, SESSION_COOKIE
from rtc_gateway.security.return_to import safe_return_to, with_query
from rtc_gateway.security.tokens import TokenAuthority
from rtc_gateway.services.identity import errors
from rtc_gateway.services.identity.errors import LoginFailed
from rtc_gateway.services.identity.login import LoginFlow
from rtc_gateway.services.identity.step_up import StepUp
from rtc_gateway.services.limit_log import LimitLog

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=NO_STORE)


def redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={**NO_STORE, "Location": location})


class LoginMetrics(Protocol):
    def login_finished(self, outcome: str) -> None: ...


@dataclass(frozen=True)
class LoginLimit:
    """Logins started per address: each one holds a pending state until it expires."""

    table: BucketTable
    trips: LimitLog
    monotonic: Callable[[], float]

    def admit(self, remote: str | None) -> bool:
        address = address_key(remote or "unknown")
        if self.table.try_take(address, self.monotonic()):
            return True
        self.trips.tripped("logins_per_address", address=address)
        return False


@dataclass(frozen=True)
class AuthRoutes:
    flow: LoginFlow | None
    """``None`` when no provider is configured: the login routes answer 503."""
    step_up: StepUp
    tokens: TokenAuthority
    secure_cookies: bool
    login_ttl_s: float
    session_ttl_s: float
    limit: LoginLimit
    metrics: LoginMetrics

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/auth/login", self.login)
        app.router.add_get("/auth/callback", self.callback)
        app.router.add_get("/auth/logout", self.logout)
        app.router.add_post("/auth/logout", self.logout)
        app.router.add_get("/api/v1/me", self.me)

    def _flow(self) -> LoginFlow:
        if self.flow is None:
            raise web.HTTPServiceUnavailable(
                text='{"error": {"code": "unavailable", "message": '
                     '"no identity provider is configured"}}',
                content_type="application/json", headers=NO_STORE)
        return self.flow

    async def login(self, request: web.Request) -> web.StreamResponse:
        flow = self._flow()
        return_to = safe_return_to(request.query.get("return_to"))
        if not self.limit.admit(request.remote):
            return error_response(429, "rate_limited",
                                  "too many logins from this address; retry in a moment")
        try:
            started = await flow.start(return_to, request.cookies.get(LOGIN_COOKIE))
        except LoginFailed as failed:
            log.warning("login not started", extra={"code": failed.code,
                                                    "detail": failed.detail})
            return self._back(return_to, failed.code)
        response = redirect(started.redirect_url)
        response.set_cookie(LOGIN_COOKIE, started.browser_value, path="/auth",
                            max_age=int(self.login_ttl_s), httponly=True, samesite="Lax",
                            secure=self.secure_cookies)
        return response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        flow = self._flow()
        params = {key: value for key, value in request.query.items() if len(value) <= 4096}
        try:
            pending = await flow.take(params.get("state"), request.cookies.get(LOGIN_COOKIE))
        except LoginFailed as failed:
            return self._refused("/", failed)
        try:
            opened = await flow.finish(pending, params)
        except LoginFailed as failed:
            return self._refused(pending.return_to, failed)
        self.metrics.login_finished("ok")
        response = redirect(pending.return_to)
        response.set_cookie(SESSION_COOKIE, opened.cookie_value, path="/",
                            max_age=int(self.session_ttl_s), httponly=True, samesite="Lax",
                            secure=self.secure_cookies)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        flow = self._flow()
        try:
            provider_logout = await flow.logout(request.cookies.get(SESSION_COOKIE))
        except LoginFailed as failed:
            log.warning("provider logout unavailable", extra={"code": failed.code})
            provider_logout = None
        response = redirect(provider_logout or "/")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        session = await self.step_up.session_of_cookie(request.cookies.get(SESSION_COOKIE))
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            try:
                citizen_id = self.tokens.verify_citizen(header.removeprefix("Bearer ").strip())
            except Unauthorized as error:
                return error_response(401, "unauthorized", error.message)
            linked = await self.step_up.session_of_citizen(citizen_id)
            return web.json_response(me_view(citizen_id, linked), headers=NO_STORE)
        if session is None:
            return error_response(401, "unauthorized",
                                  "a citizen token or a verified session is required")
        return web.json_response(me_view(session.citizen_id, session), headers=NO_STORE)

    def _refused(self, return_to: str, failed: LoginFailed) -> web.StreamResponse:
        log.warning("login refused", extra={"code": failed.code, "detail": failed.detail})
        self.metrics.login_finished(failed.code)
        return self._back(return_to, failed.code)

    @staticmethod
    def _back(return_to: str, code: str) -> web.StreamResponse:
        safe_code = code if code.replace("_", "").isalpha() else errors.PROVIDER_ERROR
        return redirect(with_query(return_to, "auth_error", safe_code))


def me_view(citizen_id: str, session: VerifiedSession | None) -> dict[str, object]:
    if session is not None:
        return {"citizen_id": citizen_id, "verified": True,
                "identity": session.identity.public_view()}
    return {"citizen_id": citizen_id, "verified": False}
