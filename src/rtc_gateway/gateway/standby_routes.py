"""What a standby node answers while another node serves: 503 to everything.

``/healthz`` says why (``standby: NODE is live``) so that a load balancer keeps sending
nothing here and an operator sees which node serves; any other path gets the usual
error object, so a client that reaches the standby directly retries elsewhere.
"""

from dataclasses import dataclass

from aiohttp import web


@dataclass
class StandbyState:
    reason: str = "standby: starting"


def standby_app(state: StandbyState) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "unavailable", "standby": True,
                                  "message": state.reason}, status=503)

    async def everything_else(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "unavailable", "message": state.reason}},
                                 status=503, headers={"Retry-After": "1"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", everything_else)
    return app
