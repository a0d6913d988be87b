"""``/api/v1/thesee``: filing scam complaints and reports, drafts, and the reviewers'
desk (queue, claims, series, figures). Decisions go through the cases API's
``/api/v1/staff/cases/{id}/decision``, where the desk's rules apply."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.filing import Identifiers, Mode
from rtc_gateway.domain.thesee.review import Claim
from rtc_gateway.domain.thesee.scam_types import MAX_AMOUNT_EUR, parse_scam_type
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.gateway import thesee_schemas as schemas
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.gateway.case_routes import (
    case_view,
    identity_of,
    json_response,
    query_enum,
    refusals,
    unit_choice,
)
from rtc_gateway.ports.thesee_store import QueueFilter
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.thesee.desk import QueueItem, ReviewDesk
from rtc_gateway.services.thesee.figures import DeskFigures
from rtc_gateway.services.thesee.filings import FilingInput, TheseeFilings
from rtc_gateway.services.thesee.retention import Retention

QUEUE_LIMIT = 200
RETENTION = web.AppKey("thesee_retention", Retention)
"""The retention job of the application (tests and operators run it on demand)."""


def filing_input(body: schemas.TheseeRequest) -> FilingInput:
    return FilingInput(
        scam_type=body.scam_type, mode=Mode(body.mode), description=body.description,
        identifiers=msgspec.convert(msgspec.to_builtins(body.identifiers), Identifiers),
        payments=list(body.payments), details=body.details,
        unit=unit_choice(body.place, body.unit_id))


def parse_draft(draft: Mapping[str, Any]) -> FilingInput:
    """A draft's body read as a filing, when it is submitted."""
    return filing_input(msgspec.convert(dict(draft), schemas.TheseeRequest))


def draft_view(draft: Draft) -> schemas.DraftView:
    return schemas.DraftView(draft.id, format_utc(draft.created_at),
                             format_utc(draft.updated_at), draft.body)


def claim_view(claim: Claim) -> schemas.ClaimView:
    return schemas.ClaimView(claim.case_id, claim.reviewer_id, format_utc(claim.expires_at))


def _amount(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number of euros") from None
    if not 0 <= value <= MAX_AMOUNT_EUR:
        raise BadRequest(f"{name} must be between 0 and {MAX_AMOUNT_EUR}")
    return value


def queue_filter(request: web.Request) -> QueueFilter:
    scam_type = request.query.get("scam_type") or None
    if scam_type is not None:
        parse_scam_type(scam_type)
    status = query_enum(request, "status", CaseStatus)
    statuses = frozenset({status}) if status is not None else frozenset(
        {CaseStatus.RECEIVED, CaseStatus.IN_REVIEW, CaseStatus.NEEDS_INFORMATION})
    return QueueFilter(scam_type=scam_type, statuses=statuses,
                       min_loss_eur=_amount(request, "min_amount"),
                       max_loss_eur=_amount(request, "max_amount"), limit=QUEUE_LIMIT)


@dataclass(frozen=True)
class TheseeRoutes:
    cases: CaseService
    filings: TheseeFilings
    desk: ReviewDesk
    figures: DeskFigures
    callers: Callers
    limits: CaseWriteLimits

    def add_to(self, app: web.Application) -> None:
        add = app.router
        add.add_post("/api/v1/thesee/cases", refusals(self.file))
        add.add_post("/api/v1/thesee/cases/{case_id}/complement", refusals(self.complement))
        add.add_get("/api/v1/thesee/drafts", refusals(self.drafts))
        add.add_post("/api/v1/thesee/drafts", refusals(self.new_draft))
        add.add_get("/api/v1/thesee/drafts/{draft_id}", refusals(self.one_draft))
        add.add_put("/api/v1/thesee/drafts/{draft_id}", refusals(self.update_draft))
        add.add_delete("/api/v1/thesee/drafts/{draft_id}", refusals(self.delete_draft))
        add.add_post("/api/v1/thesee/drafts/{draft_id}/submit", refusals(self.submit_draft))
        add.add_get("/api/v1/thesee/review/queue", refusals(self.queue))
        add.add_post("/api/v1/thesee/review/cases/{case_id}/claim", refusals(self.claim))
        add.add_delete("/api/v1/thesee/review/cases/{case_id}/claim", refusals(self.release))
        add.add_get("/api/v1/thesee/review/cases/{case_id}/series", refusals(self.series))
        add.add_get("/api/v1/thesee/figures", refusals(self.desk_figures))

    async def _json(self, request: web.Request, identity: str) -> bytes:
        self.limits.admit(identity, request.remote)
        return await self.limits.read_json(request)

    async def file(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = msgspec.json.decode(await self._json(request, identity_of(citizen)),
                                   type=schemas.TheseeRequest)
        case = await self.filings.file(citizen, filing_input(body))
        return json_response(case_view(case), status=201)

    async def complement(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = msgspec.json.decode(await self._json(request, identity_of(citizen)),
                                   type=schemas.ComplementRequest)
        case = await self.filings.complete(
            citizen, request.match_info["case_id"], body.text,
            msgspec.convert(msgspec.to_builtins(body.identifiers), Identifiers),
            list(body.payments))
        return json_response(case_view(case))

    async def drafts(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        return json_response(schemas.DraftList(
            [draft_view(d) for d in await self.filings.drafts(citizen)]))

    async def new_draft(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = msgspec.json.decode(await self._json(request, identity_of(citizen)),
                                   type=schemas.DraftBody)
        return json_response(draft_view(await self.filings.save_draft(citizen, body.draft)),
                             status=201)

    async def one_draft(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        return json_response(draft_view(await self.filings.draft(
            citizen, request.match_info["draft_id"])))

    async def update_draft(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        body = msgspec.json.decode(await self._json(request, identity_of(citizen)),
                                   type=schemas.DraftBody)
        return json_response(draft_view(await self.filings.save_draft(
            citizen, body.draft, request.match_info["draft_id"])))

    async def delete_draft(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        self.limits.admit(identity_of(citizen), request.remote)
        await self.filings.delete_draft(citizen, request.match_info["draft_id"])
        return web.Response(status=204)

    async def submit_draft(self, request: web.Request) -> web.Response:
        citizen = await self.callers.citizen(request)
        self.limits.admit(identity_of(citizen), request.remote)
        case = await self.filings.submit_draft(citizen, request.match_info["draft_id"])
        return json_response(case_view(case), status=201)

    async def queue(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        items = await self.desk.queue(staff, queue_filter(request))
        linked = await self.desk.linked([i.summary.case_id for i in items])
        now = self.desk.now()
        entries = []
        for item in items:
            case = await self.cases.get(staff, item.summary.case_id)
            view = msgspec.structs.replace(case_view(case), linked=linked[case.id])
            entries.append(self._entry(item, view, linked[case.id], now))
        return json_response(schemas.QueueView(entries, self.desk.four_eyes_above_eur))

    @staticmethod
    def _entry(item: QueueItem, view: Any, linked: list[str], now: Any) -> schemas.QueueEntry:
        summary = item.summary
        return schemas.QueueEntry(
            case=view, scam_type=summary.scam_type, mode=summary.mode,
            declared_loss_eur=summary.loss_eur,
            age_s=round((now - summary.created_at).total_seconds(), 3),
            claim=claim_view(item.claim) if item.claim else None,
            awaiting_second_reviewer=item.pending is not None, linked=linked)

    async def claim(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        self.limits.admit(identity_of(staff), request.remote)
        return json_response(claim_view(await self.desk.claim(
            staff, request.match_info["case_id"])))

    async def release(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        self.limits.admit(identity_of(staff), request.remote)
        await self.desk.release(staff, request.match_info["case_id"])
        return web.Response(status=204)

    async def series(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        case_id = request.match_info["case_id"]
        found = await self.desk.series(staff, case_id)
        return json_response(schemas.SeriesView(case_id, found.case_ids, found.total_loss_eur))

    async def desk_figures(self, request: web.Request) -> web.Response:
        staff = await self.callers.staff(request)
        return json_response(await self.figures.figures(staff))
