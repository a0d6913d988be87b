"""HTTP endpoints: health, topics, metrics, and the demo pages with a strict CSP."""

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from aiohttp import web

from rtc_gateway.domain.topics import TOPICS
from rtc_gateway.gateway.forwarded import forwarded_for
from rtc_gateway.gateway.metrics import GatewayMetrics
from rtc_gateway.gateway.readiness import Readiness
from rtc_gateway.realtime.client_address import AddressSet, is_loopback

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=(self)",
}


def demo_root() -> Path:
    return Path(str(resources.files("rtc_gateway").joinpath("static/demo")))


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def readiness_healthz(
    readiness: Readiness,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``/healthz`` of a node with shared services: 503 while one of them is unreachable."""
    async def handler(request: web.Request) -> web.Response:
        unreachable = await readiness.unreachable()
        if unreachable:
            return web.json_response({"status": "unavailable", "unreachable": unreachable},
                                     status=503)
        return web.json_response({"status": "ok"})
    return handler


async def topics(request: web.Request) -> web.Response:
    return web.json_response({"topics": [
        {"id": t.id, "label": t.label, "description": t.description,
         "default_priority": t.default_priority.value}
        for t in TOPICS
    ]})


def may_scrape(request: web.Request, allow: AddressSet, trusted: AddressSet) -> bool:
    """Loopback and ``allow`` only, by the client's resolved address; a request relayed
    by a proxy that is not trusted is never taken for a local one."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if forwarded_for(request) is not None and (not peer or str(peer[0]) not in trusted):
        return False
    remote = request.remote or ""
    return is_loopback(remote) or remote in allow


def metrics_handler(
    metrics: GatewayMetrics, allow: AddressSet | None = None, trusted: AddressSet | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    allowed, proxies = allow or AddressSet(), trusted or AddressSet()

    async def handler(request: web.Request) -> web.Response:
        if not may_scrape(request, allowed, proxies):
            metrics.rejected("metrics_forbidden")
            return web.json_response(
                {"error": {"code": "forbidden", "message": "metrics are not public"}},
                status=403)
        await metrics.refresh()
        return web.Response(body=metrics.exposition(),
                            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
    return handler


async def demo_page(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("name") or "citizen.html"
    root = demo_root().resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=SECURITY_HEADERS)


async def demo_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/demo/")


def add_routes(app: web.Application, metrics: GatewayMetrics,
               metrics_allow: AddressSet | None = None,
               trusted_proxies: AddressSet | None = None,
               readiness: Readiness | None = None) -> None:
    app.router.add_get("/healthz", healthz if readiness is None else readiness_healthz(readiness))
    app.router.add_get("/api/v1/topics", topics)
    app.router.add_get("/metrics", metrics_handler(metrics, metrics_allow, trusted_proxies))
    app.router.add_get("/", demo_redirect)
    app.router.add_get("/demo", demo_redirect)
    app.router.add_get("/demo/", demo_page)
    app.router.add_get("/demo/{name:.+}", demo_page)
