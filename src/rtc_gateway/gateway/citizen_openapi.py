"""The citizen services' part of ``/api/v1/openapi.json``: the public reads of the units'
directory and of the prevention advice (no request body; query parameters)."""

from typing import Any

import msgspec

from rtc_gateway.gateway import advice_schemas, case_schemas, unit_schemas

REF = "#/components/schemas/{name}"
RESPONSES: tuple[type, ...] = (unit_schemas.UnitsAnswer, unit_schemas.UnitView,
                               advice_schemas.ThemesAnswer, advice_schemas.AdviceList,
                               advice_schemas.AdviceArticle)


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
        "/api/v1/advice/themes": _get("The prevention advice's themes",
                                      advice_schemas.ThemesAnswer, {"429": "rate_limited"},
                                      []),
        "/api/v1/advice": _get(
            "Prevention advice, newest first, or best match first with q",
            advice_schemas.AdviceList, {"400": "bad_request", "429": "rate_limited"},
            [_query("theme", "a theme id from /api/v1/advice/themes",
                    {"type": "string", "maxLength": 80}),
             _query("q", "words to find (French stemming, accents optional)",
                    {"type": "string", "maxLength": 200})]),
        "/api/v1/advice/{advice_id}": {"get": {
            **_get("One article, as plain blocks and safe HTML",
                   advice_schemas.AdviceArticle,
                   {"404": "not_found", "429": "rate_limited"}, [])["get"],
            "parameters": [{"name": "advice_id", "in": "path", "required": True,
                            "schema": {"type": "string", "maxLength": 80}}]}},
    }


def components() -> dict[str, Any]:
    _, found = msgspec.json.schema_components((*RESPONSES, case_schemas.ErrorBody),
                                              ref_template=REF)
    return found
