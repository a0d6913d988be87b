"""``/api/v1`` cases: pre-complaints, complaints, the citizen's cases and the staff's.

Thin: decode and check the body (msgspec), find the caller, call the service, answer
the case as JSON; every refusal is ``{"error": {"code", "message"}}``.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import AttachmentMeta, Case, CaseKind, CaseStatus
from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest, DomainError
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.gateway import case_schemas as schemas
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.cases.complaints import Complaints
from rtc_gateway.services.cases.pre_complaints import PreComplaints

log = logging.getLogger(__name__)

HTTP_STATUS = {"bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
               "conflict": 409, "too_large": 413, "unsupported_type": 415,
               "rate_limited": 429, "unavailable": 503}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_encode = msgspec.json.Encoder().encode
_S = TypeVar("_S")
Handler = Callable[[web.Request], Awaitable[web.Response]]
Linker = Callable[[list[str]], Awaitable[dict[str, list[str]]]]


def error_response(code: str, message: str) -> web.Response:
    body = schemas.ErrorBody(schemas.ErrorDetail(code, message))
    return web.Response(body=_encode(body), status=HTTP_STATUS.get(code, 400),
                        content_type="application/json", headers=NO_STORE)


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(value), status=status, content_type="application/json",
                        headers=NO_STORE)


def refusals(handler: Handler) -> Handler:
    """Domain refusals and undecodable bodies as the contract's error answers."""
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except DomainError as error:
            return error_response(error.code, error.message)
        except msgspec.ValidationError as error:
            return error_response("bad_request", str(error)[:300])
        except msgspec.DecodeError:
            return error_response("bad_request", "the body is not valid JSON")
        except RecursionError:
            return error_response("bad_request", "the body is nested too deeply")
    return wrapped


def case_view(case: Case) -> schemas.CaseView:
    return schemas.CaseView(
        id=case.id, reference=case.reference, kind=case.kind.value, status=case.status.value,
        created_at=format_utc(case.created_at), updated_at=format_utc(case.updated_at),
        force=case.force.value, citizen_verified=case.citizen_verified, facts=case.facts,
        messages=[schemas.MessageView(m.seq, m.author_role, m.text, format_utc(m.at))
                  for m in case.messages],
        unit_id=case.unit_id, attachments=[attachment_view(a) for a in case.attachments],
        unread=case.unread,
        appointment_at=format_utc(case.appointment_at) if case.appointment_at else None)


def attachment_view(meta: AttachmentMeta) -> schemas.AttachmentView:
    return schemas.AttachmentView(
        sha256=meta.sha256, content_type=meta.content_type,  # type: ignore[arg-type]
        size=meta.size, author_role=meta.author_role,
        at=format_utc(meta.at) if meta.at is not None else None,
        metadata_stripped=meta.metadata_stripped)


def unit_choice(place: schemas.Place | None, unit_id: str | None) -> UnitChoice:
    if place is None:
        return UnitChoice(unit_id=unit_id)
    location = (Location(place.lat, place.lon)
                if place.lat is not None and place.lon is not None else None)
    return UnitChoice(unit_id=unit_id, location=location, commune=place.commune)


def identity_of(caller: CitizenCaller | AgentProfile) -> str:
    if isinstance(caller, CitizenCaller):
        return f"citizen:{caller.citizen_id}"
    return f"staff:{caller.agent_id}"


def query_enum(request: web.Request, name: str, kind: type[_S]) -> _S | None:
    raw = request.query.get(name)
    if raw in (None, ""):
        return None
    try:
        return kind(raw)  # type: ignore[call-arg]
    except ValueError:
        raise BadRequest(f"unknown {name} {raw[:40]!r}") from None


@dataclass(frozen=True)
class CaseRoutes:
    cases: CaseService
    pre_complaints: PreComplaints
    complaints: Complaints
    callers: Callers
    limits: CaseWriteLimits
    linker: Linker | None = None
    """The THESEE link index: reviewers see ``linked`` on THESEE cases."""

    def add_to(self, app: web.Application) -> None:
        add = app.router
        add.add_post("/api/v1/pre-complaints", refusals(self.file_pre_complaint))
        add.add_post("/api/v1/complaints", refusals(self.file_complaint))
        add.add_get("/api/v1/cases", refusals(self.own_cases))
        add.add_get("/api/v1/cases/{case_id}", refusals(self.one_case))
        add.add_post("/api/v1/cases/{case_id}/messages", refusals(self.message))
        add.add_post("/api/v1/cases/{case_id}/withdraw", refusals(self.withdraw))
        add.add_get("/api/v1/staff/cases", refusals(self.staff_cases))
        add.add_get("/api/v1/staff/cases/{case_id}", refusals(self.staff_case))
        add.add_post("/api/v1/staff/cases/{case_id}/decision", refusals(self.decision))

    async def _body(self, request: web.Request, caller: CitizenCaller | AgentProfile,
                    schema: type[_S]) -> _S:
        self.limits.admit(identity_of(caller), request.remote)
        return msgspec.json.decode(await self.limits.read_json(request), type=schema)

    async def file_pre_complaint(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.PreComplaintRequest)
        case = await self.pre_complaints.file(
            citizen, msgspec.to_builtins(body.facts), msgspec.to_builtins(body.declared_identity),
            body.appointment_slot, unit_choice(body.place, body.unit_id), body.appointment_at)
        return json_response(case_view(case), status=201)

    async def file_complaint(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = await self._body(request, citizen, schemas.ComplaintRequest)
        case = await self.complaints.file(citizen, msgspec.to_builtins(body.facts),
                                          unit_choice(body.place, body.unit_id))
        return json_response(case_view(case), status=201)

    async def own_cases(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        return json_response(schemas.CaseList([case_view(c)
                                               for c in await self.cases.own(citizen)]))

    async def one_case(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        return json_response(case_view(await self.cases.read(caller,
                                                             request.match_info["case_id"])))

    async def staff_case(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        case = await self.cases.open_for_staff(staff, request.match_info["case_id"])
        return json_response((await self._staff_views(staff, [case]))[0])

    async def _staff_views(self, staff: AgentProfile,
                           found: list[Case]) -> list[schemas.CaseView]:
        linked: dict[str, list[str]] = {}
        if self.linker is not None and staff.role is Role.REVIEWER:
            linked = await self.linker([c.id for c in found if c.kind is CaseKind.THESEE])
        return [msgspec.structs.replace(case_view(c), linked=linked[c.id]) if c.id in linked
                else case_view(c) for c in found]

    async def message(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        body = await self._body(request, caller, schemas.MessageRequest)
        case = await self.cases.post_message(caller, request.match_info["case_id"], body.text)
        return json_response(case_view(case), status=201)

    async def withdraw(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        self.limits.admit(identity_of(citizen), request.remote)
        return json_response(case_view(await self.cases.withdraw(
            citizen, request.match_info["case_id"])))

    async def staff_cases(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        unit = request.query.get("unit") or None
        found = await self.cases.staff_list(staff, query_enum(request, "kind", CaseKind),
                                            query_enum(request, "status", CaseStatus), unit)
        return json_response(schemas.CaseList(await self._staff_views(staff, found)))

    async def decision(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        body = await self._body(request, staff, schemas.DecisionRequest)
        case = await self.cases.decide(staff, request.match_info["case_id"], body.decision,
                                       body.reason, body.appointment_at)
        return json_response(case_view(case))
