"""The error middleware: a shared store that does not answer is a 503 in the API's error
shape on any path, never a 500 with a traceback."""

import aiohttp
from aiohttp import web

from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.gateway.api_errors import api_errors_middleware
from tests.gateway.conftest import free_port


async def failing(_: web.Request) -> web.Response:
    raise Unavailable("the session store is unavailable; try again")


async def test_unavailable_is_a_503_with_the_error_shape() -> None:
    app = web.Application(middlewares=[api_errors_middleware()])
    app.router.add_get("/api/v1/me", failing)
    app.router.add_get("/auth/callback", failing)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/api/v1/me", "/auth/callback"):
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    assert response.status == 503
                    assert await response.json() == {"error": {
                        "code": "unavailable",
                        "message": "the session store is unavailable; try again"}}
    finally:
        await runner.cleanup()
