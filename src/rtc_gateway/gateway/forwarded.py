"""Every HTTP request sees its client's address, resolved behind trusted proxies
(``realtime/client_address.py``), as ``request.remote``: the long-polling transport,
WebSockets served through aiohttp and ``/metrics`` key on the same address as the
WebSockets the front door serves."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from rtc_gateway.realtime.client_address import AddressSet, client_address


def forwarded_for(request: web.Request) -> str | None:
    values = request.headers.getall("X-Forwarded-For", [])
    return ", ".join(values) if values else None


def client_address_middleware(trusted: AddressSet) -> Middleware:
    @web.middleware
    async def resolve(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = request.remote
        if peer is not None:
            remote = client_address(peer, forwarded_for(request) if trusted else None, trusted)
            if remote != peer:  # resolved, or an IPv4-mapped address written as IPv4
                request = request.clone(remote=remote)
        return await handler(request)

    return resolve
