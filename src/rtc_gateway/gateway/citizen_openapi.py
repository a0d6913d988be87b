"""The citizen services' part of ``/api/v1/openapi.json``: the public reads of the units'
directory and of the prevention advice (no request body; query parameters)."""

from typing import Any

import msgspec

from rtc_gateway.gateway import case_schemas, unit_schemas

REF = "#/components/schemas/{name}"
RESPONSES: tuple[type, ...] = (unit_schemas.UnitsAnswer, unit_schemas.UnitView)


def _query(name: str, description: str, schema: dict[str, Any],
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def _get(summary: str, answer: type, errors: dict[str, str],
         parameters: list[dict[str, Any]]) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": REF.format(name="ErrorBody")}}}
    return {"get": {
        "summary": summary, "security": [], "parameters": parameters,
        "responses": {
            "200": {"description": summary, "content": {"application/json": {
                "schema": {"$ref": REF.format(name=answer.__name__)}}}},
            **{status: {"description": code, "content": error}
               for status, code in errors.items()}}}}


LIMIT = _query("limit", "how many stations (1 to 10, default 3)",
               {"type": "integer", "minimum": 1, "maximum": 10})


def paths() -> dict[str, Any]:
    return {
        "/api/v1/units": _get(
            "The competent force and its nearest stations open to the public",
            unit_schemas.UnitsAnswer,
            {"400": "bad_request", "404": "not_found", "429": "rate_limited"},
            [_query("lat", "latitude, with lon", {"type": "number", "minimum": -90,
                                                  "maximum": 90}),
             _query("lon", "longitude, with lat", {"type": "number", "minimum": -180,
                                                   "maximum": 180}),
             _query("commune", "INSEE code, instead of lat/lon",
                    {"type": "string", "pattern": r"^(?:\d{5}|2[AB]\d{3})$"}),
             LIMIT]),
        "/api/v1/units/{unit_id}": {"get": {
            **_get("One station open to the public", unit_schemas.UnitView,
                   {"400": "bad_request", "404": "not_found", "429": "rate_limited"},
                   [])["get"],
            "parameters": [{"name": "unit_id", "in": "path", "required": True,
                            "schema": {"type": "string", "maxLength": 64}}]}},
    }


def components() -> dict[str, Any]:
    _, found = msgspec.json.schema_components((*RESPONSES, case_schemas.ErrorBody),
                                              ref_template=REF)
    return found
