"""``GET /api/v1/openapi.json``: OpenAPI 3.1 of the cases API, its schemas generated
from the msgspec structs that decode the bodies."""

from typing import Any

import msgspec
from aiohttp import web

import rtc_gateway
from rtc_gateway.domain.cases import CaseKind, CaseStatus
from rtc_gateway.domain.thesee.scam_types import ScamType
from rtc_gateway.gateway import appointment_openapi, citizen_openapi, thesee_schemas
from rtc_gateway.gateway import case_schemas as schemas

REF = "#/components/schemas/{name}"
ERRORS = {"400": "bad_request", "401": "unauthorized", "403": "forbidden",
          "404": "not_found", "409": "conflict", "413": "too_large",
          "415": "unsupported_type", "429": "rate_limited", "503": "unavailable"}


def _ref(struct: type) -> dict[str, str]:
    return {"$ref": REF.format(name=struct.__name__)}


def _json(struct: type) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(struct)}}


def _operation(summary: str, ok: str, ok_body: type, errors: tuple[str, ...],
               body: type | None = None, parameters: list[dict[str, Any]] | None = None,
               ) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": []}, {"session": []}],
        "responses": {ok: {"description": "the case" if ok_body is schemas.CaseView
                           else "the cases", "content": _json(ok_body)},
                      **{status: {"description": ERRORS[status],
                                  "content": _json(schemas.ErrorBody)}
                         for status in errors}},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    if parameters:
        operation["parameters"] = parameters
    return operation


CASE_ID = {"name": "case_id", "in": "path", "required": True,
           "schema": {"type": "string", "maxLength": 64}}
WRITE = ("400", "401", "403", "404", "409", "413", "415", "429")
READ = ("400", "401", "403", "404")


def _query(name: str, values: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if values is not None:
        schema["enum"] = values
    return {"name": name, "in": "query", "required": False, "schema": schema}


SHA256 = {"name": "sha256", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
UPLOAD_FORM = {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"], "additionalProperties": False,
               "properties": {
                   "file": {"type": "string", "contentMediaType": "application/octet-stream",
                            "description": "a JPEG, PNG or PDF file, recognised by its "
                                           "content; at most RTC_GATEWAY_MAX_ATTACHMENT_BYTES"},
                   "strip_metadata": {"type": "string", "enum": ["true", "false"],
                                      "description": "re-encode an image without its "
                                                     "metadata (EXIF, GPS), rewrite a PDF "
                                                     "without its Info and XMP"}}},
    "encoding": {"file": {"contentType": "image/jpeg, image/png, application/pdf"}}}}
FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")


def _attachment_paths() -> dict[str, Any]:
    upload = _operation("Attach a file to a case (its citizen, or staff in scope)", "201",
                        schemas.AttachmentView, WRITE, parameters=[CASE_ID])
    upload["requestBody"] = {"required": True, "content": UPLOAD_FORM}
    upload["responses"]["201"]["description"] = "the attachment"
    listing = _operation("The attachments of a case", "200", schemas.AttachmentList, READ,
                         parameters=[CASE_ID])
    listing["responses"]["200"]["description"] = "the attachments"
    download = _operation("One attached file (its citizen, or staff in scope)", "200",
                          schemas.AttachmentView, READ, parameters=[CASE_ID, SHA256])
    download["responses"]["200"] = {
        "description": "the file, as Content-Disposition: attachment",
        "content": {kind: {"schema": {"type": "string",
                                      "contentMediaType": kind}} for kind in FILE_TYPES}}
    return {"/api/v1/cases/{case_id}/attachments": {"post": upload, "get": listing},
            "/api/v1/cases/{case_id}/attachments/{sha256}": {"get": download}}
def _receipt_operation() -> dict[str, Any]:
    operation = _operation(
        "The receipt (récépissé) of a registered complaint, as a PDF (its citizen, or the "
        "staff in charge)", "200", schemas.CaseView, ("401", "404", "409"), parameters=[CASE_ID])
    operation["responses"]["200"] = {
        "description": "the receipt, in French",
        "content": {"application/pdf": {"schema": {"type": "string",
                                                    "contentMediaType": "application/pdf"}}}}
    return operation


def document() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        (*schemas.REQUEST_BODIES, *schemas.RESPONSE_BODIES, *thesee_schemas.REQUEST_BODIES,
         *thesee_schemas.RESPONSE_BODIES, *appointment_openapi.STRUCTS), ref_template=REF)
    case = schemas.CaseView
    return {
        "openapi": "3.1.0",
        "info": {"title": "rtc-gateway cases API", "version": rtc_gateway.__version__},
        "paths": {
            **thesee_paths(),
            "/api/v1/pre-complaints": {"post": _operation(
                "File a pre-complaint (any citizen)", "201", case,
                ("400", "401", "403", "413", "415", "429"), schemas.PreComplaintRequest)},
            "/api/v1/complaints": {"post": _operation(
                "File an online complaint (verified citizens only)", "201", case,
                ("400", "401", "403", "413", "415", "429"), schemas.ComplaintRequest)},
            "/api/v1/cases": {"get": _operation(
                "The caller's own cases", "200", schemas.CaseList, ("401", "403"))},
            "/api/v1/cases/{case_id}": {"get": _operation(
                "One case (its citizen, or staff in scope)", "200", case, READ,
                parameters=[CASE_ID])},
            "/api/v1/cases/{case_id}/messages": {"post": _operation(
                "A message on a case", "201", case, WRITE, schemas.MessageRequest,
                [CASE_ID])},
            "/api/v1/cases/{case_id}/withdraw": {"post": _operation(
                "The citizen withdraws the case", "200", case,
                ("401", "403", "404", "409", "429"), parameters=[CASE_ID])},
            "/api/v1/cases/{case_id}/receipt": {"get": _receipt_operation()},
            "/api/v1/staff/cases": {"get": _operation(
                "Cases of the caller's force, narrowed to its unit", "200",
                schemas.CaseList, ("400", "401", "403"),
                parameters=[_query("kind", [k.value for k in CaseKind]),
                            _query("status", [s.value for s in CaseStatus]),
                            _query("unit")])},
            "/api/v1/staff/cases/{case_id}": {"get": _operation(
                "One case of the caller's scope", "200", case, READ,
                parameters=[CASE_ID])},
            "/api/v1/staff/cases/{case_id}/decision": {"post": _operation(
                "A staff decision on a case", "200", case, WRITE, schemas.DecisionRequest,
                [CASE_ID])},
            **_attachment_paths(),
            **citizen_openapi.paths(),
            **appointment_openapi.paths(),
        },
        "components": {
            "schemas": components | citizen_openapi.components(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a citizen token (from the session event) or "
                                          "a staff token (rtc-gateway token agent)"},
                "session": {"type": "apiKey", "in": "cookie", "name": "rtc_session"},
            },
        },
    }


def openapi_handler() -> Any:
    body = msgspec.json.encode(document())

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")
    return handler


def thesee_paths() -> dict[str, Any]:
    """THESEE's paths (filings, drafts, the review desk, figures)."""
    t = thesee_schemas
    draft_id = {"name": "draft_id", "in": "path", "required": True,
                "schema": {"type": "string", "maxLength": 64}}
    amount = [{"name": n, "in": "query", "required": False,
               "schema": {"type": "number", "minimum": 0}} for n in ("min_amount",
                                                                     "max_amount")]
    deleted = {"summary": "", "security": [{"bearer": []}, {"session": []}],
               "responses": {"204": {"description": "done"},
                             **{c: {"description": ERRORS[c],
                                    "content": _json(schemas.ErrorBody)}
                                for c in ("401", "403", "404", "409", "429")}}}
    return {
        "/api/v1/thesee/cases": {"post": _operation(
            "File a THESEE report (any citizen) or complaint (verified citizens)", "201",
            schemas.CaseView, ("400", "401", "403", "413", "415", "429"), t.TheseeRequest)},
        "/api/v1/thesee/cases/{case_id}/complement": {"post": _operation(
            "The citizen completes a THESEE case (message, identifiers, payments)", "200",
            schemas.CaseView, WRITE, t.ComplementRequest, [CASE_ID])},
        "/api/v1/thesee/drafts": {
            "get": _operation("The citizen's THESEE drafts", "200", t.DraftList,
                              ("401", "403")),
            "post": _operation("Save a THESEE draft", "201", t.DraftView, WRITE,
                               t.DraftBody)},
        "/api/v1/thesee/drafts/{draft_id}": {
            "get": _operation("One draft (its citizen)", "200", t.DraftView, READ,
                              parameters=[draft_id]),
            "put": _operation("Replace a draft", "200", t.DraftView, WRITE, t.DraftBody,
                              [draft_id]),
            "delete": {**deleted, "summary": "Delete a draft", "parameters": [draft_id]}},
        "/api/v1/thesee/drafts/{draft_id}/submit": {"post": _operation(
            "File the draft as a THESEE case", "201", schemas.CaseView, WRITE,
            parameters=[draft_id])},
        "/api/v1/thesee/review/queue": {"get": _operation(
            "The review desk's queue (reviewers)", "200", t.QueueView, READ,
            parameters=[_query("scam_type", [s.value for s in ScamType]),
                        _query("status", [s.value for s in CaseStatus]), *amount])},
        "/api/v1/thesee/review/cases/{case_id}/claim": {
            "post": _operation("Claim a case (one reviewer at a time)", "200", t.ClaimView,
                               WRITE, parameters=[CASE_ID]),
            "delete": {**deleted, "summary": "Release a claim", "parameters": [CASE_ID]}},
        "/api/v1/thesee/review/cases/{case_id}/series": {"get": _operation(
            "The series of a case: connected through shared identifiers", "200",
            t.SeriesView, READ, parameters=[CASE_ID])},
        "/api/v1/thesee/figures": {"get": _operation(
            "The desk's figures (supervisors and reviewers)", "200", t.FiguresView,
            ("401", "403"))},
    }
