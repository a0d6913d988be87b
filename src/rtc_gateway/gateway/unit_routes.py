"""``GET /api/v1/units`` (by position or commune) and ``GET /api/v1/units/{unit_id}``:
public, read-only, limited per address."""

import math
from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.directory import NearStation, Station
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.gateway.case_routes import json_response, refusals
from rtc_gateway.gateway.public_reads import PublicReadLimit
from rtc_gateway.gateway.unit_schemas import CommuneView, UnitsAnswer, UnitView
from rtc_gateway.services.units import DEFAULT_LIMIT, MAX_LIMIT, FoundUnits, UnitFinder


def _number(request: web.Request, name: str, low: float, high: float) -> float:
    raw = request.query.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}")
    return value


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


@dataclass(frozen=True)
class UnitRoutes:
    finder: UnitFinder
    limit: PublicReadLimit

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/units", refusals(self.find))
        app.router.add_get("/api/v1/units/{unit_id}", refusals(self.one))

    async def find(self, request: web.Request) -> web.Response:
        self.limit.admit(request)
        query = request.query
        by_place = "lat" in query or "lon" in query
        if by_place == ("commune" in query):
            raise BadRequest("give lat and lon, or commune (an INSEE code)")
        if by_place:
            location = Location(_number(request, "lat", -90, 90),
                                _number(request, "lon", -180, 180))
            found = self.finder.at(location, _limit(request))
        else:
            found = self.finder.in_commune(query["commune"].strip().upper(), _limit(request))
        return json_response(self._answer(found))

    async def one(self, request: web.Request) -> web.Response:
        self.limit.admit(request)
        return json_response(self._unit(self.finder.station(request.match_info["unit_id"])))

    def _answer(self, found: FoundUnits) -> UnitsAnswer:
        commune = found.commune
        return UnitsAnswer(
            force=found.force.value,
            coverage="approximate" if found.approximate else "directory",
            units=[self._near(near) for near in found.units],
            commune=None if commune is None else CommuneView(
                insee=commune.insee, name=commune.name, department=commune.department))

    def _near(self, near: NearStation) -> UnitView:
        view = self._unit(near.station)
        if near.distance_km is not None:
            view.distance_km = round(near.distance_km, 2)
        return view

    def _unit(self, station: Station) -> UnitView:
        return UnitView(
            id=station.id, name=station.name, force=station.force.value,
            address=station.address, postcode=station.postcode, commune=station.commune,
            insee=station.insee, phone=station.phone, lat=station.location.lat,
            lon=station.location.lon, hours=station.hours.wire(),
            open_now=self.finder.is_open(station))
