"""What the demo pages ask the gateway before they connect: the Socket.IO client build
that speaks this server's serializer, and the settings the citizen page follows."""

from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.gateway.http_routes import SECURITY_HEADERS, demo_root

CLIENT_BUILDS = {"json": "socket.io.min.js", "msgpack": "socket.io.msgpack.min.js"}
"""socket.io-client's own distributed builds: the msgpack one bundles socket.io-msgpack-parser."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    serializer: str
    quick_exit_url: str
    waiting_alternatives_after_s: float
    identity_login: bool = False
    """A citizens' identity provider is configured: the page offers to log in."""
    staff_login: bool = False
    """A staff identity provider is configured: the console offers *Se connecter*."""

    def wire(self) -> dict[str, object]:
        return {
            "serializer": self.serializer,
            "quick_exit_url": self.quick_exit_url,
            "waiting_alternatives_after_s": self.waiting_alternatives_after_s,
            "identity_login": self.identity_login,
            "staff_login": self.staff_login,
        }


def add_client_routes(app: web.Application, config: ClientConfig) -> None:
    """Register before the demo pages' catch-all route, which would shadow these."""
    body = config.wire()
    script = demo_root() / "vendor" / CLIENT_BUILDS[config.serializer]

    async def client_config(request: web.Request) -> web.Response:
        return web.json_response(body, headers={"Cache-Control": "no-cache"})

    async def client_script(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(script, headers={**SECURITY_HEADERS,
                                                 "Cache-Control": "no-cache"})

    app.router.add_get("/api/v1/client-config", client_config)
    app.router.add_get("/demo/vendor/socket.io-client.js", client_script)
