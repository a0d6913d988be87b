"""Under ``/api/v1``, the router's own refusals (no such path, method not allowed, body
over the server's limit) in the API's error shape ``{"error": {"code", "message"}}``;
on every path, a shared store that does not answer (``Unavailable``) as 503."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from rtc_gateway.domain.errors import Unavailable

API_PREFIX = "/api/v1/"
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_type", 429: "rate_limited", 503: "unavailable"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_errors_middleware() -> Any:
    """An aiohttp middleware (typed ``Any`` like the CSRF one)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Unavailable as error:
            return web.json_response(
                {"error": {"code": error.code, "message": error.message}}, status=503)
        except web.HTTPException as error:
            if (not request.path.startswith(API_PREFIX) or error.status < 400
                    or error.content_type == "application/json"):
                raise
            return web.json_response(
                {"error": {"code": CODES.get(error.status, "bad_request"),
                           "message": error.reason}},
                status=error.status, headers={"Allow": error.headers["Allow"]}
                if "Allow" in error.headers else None)
    return middleware
