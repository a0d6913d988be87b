"""Staff login over HTTP: ``/auth/staff/login`` and ``/auth/staff/callback``.

The callback hands the staff token to the console in the URL fragment of ``return_to``
(``#token=...&expires_at=...``, what the console reads): a fragment never reaches a
server or its logs, and the console page removes it from the address bar at once. Any
refusal goes back to ``return_to?auth_error=CODE`` with no token.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.gateway.auth_routes import LoginLimit, error_response, redirect
from rtc_gateway.security.return_to import safe_return_to, with_query
from rtc_gateway.services.identity import errors
from rtc_gateway.services.identity.errors import LoginFailed
from rtc_gateway.services.identity.staff_login import StaffLogin

log = logging.getLogger(__name__)

STAFF_LOGIN_COOKIE = "rtc_staff_login"
CONSOLE = "/demo/agent.html"


@dataclass(frozen=True)
class StaffAuthRoutes:
    login: StaffLogin | None
    """``None`` when no staff provider is configured: both routes answer 503."""
    secure_cookies: bool
    login_ttl_s: float
    limit: LoginLimit

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/auth/staff/login", self.start)
        app.router.add_get("/auth/staff/callback", self.callback)

    def _login(self) -> StaffLogin:
        if self.login is None:
            raise web.HTTPServiceUnavailable(
                text='{"error": {"code": "unavailable", "message": '
                     '"no staff identity provider is configured"}}',
                content_type="application/json")
        return self.login

    async def start(self, request: web.Request) -> web.StreamResponse:
        login = self._login()
        return_to = _console_path(request.query.get("return_to"))
        if not self.limit.admit(request.remote):
            return error_response(429, "rate_limited",
                                  "too many logins from this address; retry in a moment")
        try:
            started = await login.start(return_to, request.cookies.get(STAFF_LOGIN_COOKIE))
        except LoginFailed as failed:
            log.warning("staff login not started", extra={"code": failed.code,
                                                          "detail": failed.detail})
            return _back(return_to, failed.code)
        response = redirect(started.redirect_url)
        response.set_cookie(STAFF_LOGIN_COOKIE, started.browser_value, path="/auth/staff",
                            max_age=int(self.login_ttl_s), httponly=True, samesite="Lax",
                            secure=self.secure_cookies)
        return response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        login = self._login()
        params = {key: value for key, value in request.query.items() if len(value) <= 4096}
        try:
            pending = await login.take(params.get("state"),
                                       request.cookies.get(STAFF_LOGIN_COOKIE))
        except LoginFailed as failed:
            return _refused(CONSOLE, failed)
        try:
            issued = await login.finish(pending, params)
        except LoginFailed as failed:
            return _refused(pending.return_to, failed)
        fragment = urlencode({"token": issued.token,
                              "expires_at": format_utc(issued.expires_at)})
        response = redirect(f"{pending.return_to}#{fragment}")
        response.del_cookie(STAFF_LOGIN_COOKIE, path="/auth/staff")
        return response


def _console_path(value: str | None) -> str:
    """A local path without a fragment (the token's place); the console by default."""
    path = safe_return_to(value).split("#", 1)[0]
    return CONSOLE if path == "/" else path


def _refused(return_to: str, failed: LoginFailed) -> web.StreamResponse:
    log.warning("staff login refused", extra={"code": failed.code, "detail": failed.detail})
    return _back(return_to, failed.code)


def _back(return_to: str, code: str) -> web.StreamResponse:
    safe_code = code if code.replace("_", "").isalpha() else errors.PROVIDER_ERROR
    return redirect(with_query(return_to, "auth_error", safe_code))
