"""A gateway with the loopback OpenID provider, and HTTP helpers for the cases API."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.gateway.identity.conftest import start_world, world

__all__ = ["COUNTRYSIDE", "FACTS", "LYON", "PARIS", "Api", "start_world", "world"]

FACTS: dict[str, Any] = {
    "offence": "theft", "description": "Vélo volé devant la gare",
    "occurred_from": "2026-11-30T18:00:00+01:00", "occurred_to": "2026-11-30T19:30:00+01:00",
    "address": "1 place de la Gare", "goods": [{"label": "vélo", "value_eur": 450}],
    "damages": "antivol coupé"}
IDENTITY = {"given_name": "Camille", "family_name": "Martin", "birthdate": "1990-04-02",
            "email": "camille@example.org"}
PARIS = {"lat": 48.8566, "lon": 2.3522}
LYON = {"lat": 45.764, "lon": 4.8357}
COUNTRYSIDE = {"lat": 44.32, "lon": 3.59}
"""Near Florac (Lozère), a gendarmerie commune of the sample directory."""


def pre_complaint(place: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"facts": FACTS, "declared_identity": IDENTITY, "place": place or PARIS,
            "appointment_slot": "slot-1", **extra}


def complaint(place: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"facts": FACTS, "place": place or PARIS, **extra}


class Api:
    """One caller of the cases API: a bearer token, or a browser's cookies."""

    def __init__(self, url: str, token: str | None = None,
                 http: aiohttp.ClientSession | None = None,
                 origin: str | None = None) -> None:
        self.url = url
        self.token = token
        self.http = http
        self.origin = origin

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.origin:
            headers["Origin"] = self.origin
        return headers

    async def call(self, method: str, path: str, body: Any = None,
                   **kwargs: Any) -> tuple[int, Any]:
        own = self.http is None
        http = self.http or aiohttp.ClientSession()
        try:
            async with http.request(method, self.url + path, json=body,
                                    headers={**self._headers(), **kwargs.pop("headers", {})},
                                    **kwargs) as response:
                payload = await response.json(content_type=None)
                return response.status, payload
        finally:
            if own:
                await http.close()

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return await self.call("POST", path, body, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kwargs)
