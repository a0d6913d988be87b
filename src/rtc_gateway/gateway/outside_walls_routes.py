"""``/api/v1`` complaints outside the walls: the victim's request and discreet status,
the competent unit's visit planning and outcome (acceptance is the cases' ``confirm``
decision, cancellation the cases' ``withdraw``)."""

from dataclasses import dataclass
from typing import TypeVar

import msgspec
from aiohttp import web

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import CaseKind
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import NotFound
from rtc_gateway.domain.outside_walls import neutral_status
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.gateway import outside_walls_schemas as schemas
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.gateway.case_routes import case_view, identity_of, json_response, refusals
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.outside_walls import OutsideWalls

_S = TypeVar("_S")


@dataclass(frozen=True)
class OutsideWallsRoutes:
    cases: CaseService
    outside_walls: OutsideWalls
    callers: Callers
    limits: CaseWriteLimits

    def add_to(self, app: web.Application) -> None:
        add = app.router
        add.add_post("/api/v1/outside-walls-requests", refusals(self.request))
        add.add_get("/api/v1/outside-walls-requests/{case_id}", refusals(self.status))
        add.add_post("/api/v1/staff/cases/{case_id}/visit", refusals(self.visit))
        add.add_post("/api/v1/staff/cases/{case_id}/visit-outcome", refusals(self.outcome))

    async def _body(self, request: web.Request, caller: CitizenCaller | AgentProfile,
                    schema: type[_S]) -> _S:
        self.limits.admit(identity_of(caller), request.remote)
        return msgspec.json.decode(await self.limits.read_json(request), type=schema)

    async def request(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.OutsideWallsRequest)
        details = msgspec.to_builtins(body)
        details.pop("unit_id", None)
        unit = UnitChoice(unit_id=body.unit_id,
                          location=Location(body.place.lat, body.place.lon))
        case = await self.outside_walls.request(citizen, details, unit)
        return json_response(case_view(case), status=201)

    async def status(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        case = await self.cases.get(citizen, request.match_info["case_id"])
        if case.kind is not CaseKind.OUTSIDE_WALLS:
            raise NotFound("no such request")
        return json_response(schemas.DiscreetStatus(
            case.id, case.reference, case.status.value, neutral_status(case.status),
            format_utc(case.updated_at)))

    async def visit(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        body = await self._body(request, staff, schemas.VisitRequest)
        case = await self.outside_walls.plan_visit(
            staff, request.match_info["case_id"], body.officers, body.at,
            msgspec.to_builtins(body.place) if body.place is not None else None, body.note)
        return json_response(case_view(case))

    async def outcome(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        body = await self._body(request, staff, schemas.OutcomeRequest)
        case = await self.outside_walls.record_outcome(
            staff, request.match_info["case_id"], body.outcome, body.note)
        return json_response(case_view(case))
