"""``GET /api/v1/openapi.json``: OpenAPI 3.1 of the cases API, its schemas generated
from the msgspec structs that decode the bodies."""

from typing import Any

import msgspec
from aiohttp import web

import rtc_gateway
from rtc_gateway.domain.cases import CaseKind, CaseStatus
from rtc_gateway.gateway import appointment_openapi
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


def document() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        (*schemas.REQUEST_BODIES, *schemas.RESPONSE_BODIES, *appointment_openapi.STRUCTS),
        ref_template=REF)
    case = schemas.CaseView
    return {
        "openapi": "3.1.0",
        "info": {"title": "rtc-gateway cases API", "version": rtc_gateway.__version__},
        "paths": {
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
            **appointment_openapi.paths(),
        },
        "components": {
            "schemas": components,
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
