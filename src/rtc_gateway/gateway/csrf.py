"""Cookie-authenticated requests that change state must come from an allowed origin.

A bearer token is never sent by a browser on its own, a cookie is: so a request that
carries the ``rtc_session`` cookie and no ``Authorization`` header, with a method that
changes state, needs an ``Origin`` the gateway allows (the same ``OriginPolicy`` as the
Socket.IO handshake: the public URL's origin and the configured ones). Anything else is
403 before any handler runs. The Socket.IO path is left to the realtime server, which
checks the ``Origin`` of every request itself.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from rtc_gateway.gateway.origins import OriginPolicy
from rtc_gateway.security.cookies import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def needs_origin_check(request: web.Request) -> bool:
    return (request.method not in SAFE_METHODS and SESSION_COOKIE in request.cookies
            and "Authorization" not in request.headers)


def csrf_middleware(policy: OriginPolicy, exempt_path: str) -> Any:
    """An aiohttp middleware (typed ``Any``: aiohttp's ``Middleware`` is a protocol that a
    decorated function satisfies only at run time)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != exempt_path and needs_origin_check(request):
            origin = request.headers.get("Origin")
            if origin is None or not policy(origin, request.host, request.scheme):
                return web.json_response({"error": {
                    "code": "forbidden",
                    "message": "a cookie-authenticated change needs an allowed Origin"}},
                    status=403)
        return await handler(request)
    return middleware
