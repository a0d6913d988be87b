"""Bad input to the cases API: a clear error code, never a server error, nothing stored."""

import json
from typing import Any

import aiohttp
import pytest

from tests.gateway.cases.conftest import FACTS, Api, complaint, pre_complaint
from tests.gateway.cases.test_cases_api import anonymous_citizen, staff
from tests.gateway.identity.conftest import IdentityWorld, StartWorld


async def raw_post(url: str, token: str, data: bytes,
                   content_type: str = "application/json") -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(
            url, data=data, headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": content_type}) as response:
        return response.status, await response.json(content_type=None)


@pytest.mark.parametrize("body", [
    {},
    {"facts": {**FACTS, "offence": "murder"}},
    {"facts": {**FACTS, "occurred_to": "2026-11-29T00:00:00+01:00"}},
    {"facts": {**FACTS, "occurred_from": "2026-11-30T18:00:00"}},
    {"facts": {**FACTS, "goods": [{"label": "", "value_eur": 1}]}},
    {"facts": {**FACTS, "goods": [{"label": "x", "value_eur": -1}]}},
    {"facts": {**FACTS, "description": "x" * 4001}},
    {"facts": FACTS, "place": {"lat": 91, "lon": 0}},
    {"facts": FACTS, "place": {"lat": 45}},
    {"facts": FACTS, "place": {"commune": "99999"}},
    {"facts": FACTS, "place": {"commune": "PARIS"}},
    {"facts": FACTS},
    {"facts": FACTS, "unit_id": "Commissariat central"},
    {"facts": FACTS, "place": {"lat": 45, "lon": 4}, "surprise": True},
    [],
    "text",
])
async def test_bad_bodies_are_bad_requests(world: IdentityWorld, body: Any) -> None:
    citizen = anonymous_citizen(world)
    if isinstance(body, dict) and "facts" in body:
        body = {**body, "declared_identity": pre_complaint()["declared_identity"]}
    status, answer = await citizen.post("/api/v1/pre-complaints", body)
    assert status == 400, answer
    assert answer["error"]["code"] == "bad_request" and answer["error"]["message"]
    assert (await citizen.get("/api/v1/cases"))[1] == {"cases": []}


async def test_unreadable_large_and_mistyped_bodies(world: IdentityWorld) -> None:
    token = world.gw.gateway.tokens.new_citizen().token
    url = f"{world.gw.url}/api/v1/pre-complaints"
    assert (await raw_post(url, token, b"{not json"))[1]["error"]["code"] == "bad_request"
    assert (await raw_post(url, token, b"[" * 100_000 + b"]" * 100_000))[0] in (400, 413)
    assert (await raw_post(url, token, b"[" * 20_000 + b"]" * 20_000))[0] == 400
    assert (await raw_post(url, token, b"\xff\xfe"))[0] == 400
    status, answer = await raw_post(url, token, json.dumps(pre_complaint()).encode(),
                                    "text/plain")
    assert status == 415 and answer["error"]["code"] == "unsupported_type"
    big = pre_complaint(facts={**FACTS, "damages": "x" * 2000,
                               "goods": [{"label": "y" * 200}] * 50})
    big["padding"] = "z" * 70_000
    status, answer = await raw_post(url, token, json.dumps(big).encode())
    assert status == 413 and answer["error"]["code"] == "too_large"


async def test_callers_without_a_valid_identity(world: IdentityWorld) -> None:
    for api in (Api(world.gw.url), Api(world.gw.url, "not-a-token")):
        status, answer = await api.post("/api/v1/complaints", complaint())
        assert status == 401 and answer["error"]["code"] == "unauthorized"
        assert (await api.get("/api/v1/cases"))[0] == 401
        assert (await api.get("/api/v1/staff/cases"))[0] == 401
    status, _ = await Api(world.gw.url).get("/api/v1/cases",
                                            headers={"Authorization": "Basic eDp5"})
    assert status == 401


async def test_bad_staff_queries_and_decisions(world: IdentityWorld) -> None:
    officer = staff(world, "p1")
    for query in ("kind=murder", "status=lost", "unit=../etc"):
        status, answer = await officer.get(f"/api/v1/staff/cases?{query}")
        assert status == 400 and answer["error"]["code"] == "bad_request"
    _, case = await anonymous_citizen(world).post("/api/v1/pre-complaints", pre_complaint())
    decide = f"/api/v1/staff/cases/{case['id']}/decision"
    for body in ({}, {"decision": "approve"}, {"decision": "close", "reason": "x" * 1001},
                 {"decision": 3}):
        assert (await officer.post(decide, body))[0] == 400
    assert (await officer.post("/api/v1/staff/cases/nope/decision", {"decision": "close"})
            )[0] == 404
    assert (await officer.post(f"/api/v1/cases/{case['id']}/messages", {"text": ""}))[0] == 400


async def test_case_writes_are_limited_per_identity(start_world: StartWorld) -> None:
    world = await start_world(case_writes_per_identity_burst=3.0,
                              case_writes_per_identity_per_s=0.001)
    citizen, other = anonymous_citizen(world), anonymous_citizen(world)
    statuses = [(await citizen.post("/api/v1/pre-complaints", pre_complaint()))[0]
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert (await other.post("/api/v1/pre-complaints", pre_complaint()))[0] == 201
    assert world.gw.gateway.metrics.exposition().count(b"case_writes_per_identity") >= 1


async def test_case_writes_are_limited_per_address(start_world: StartWorld) -> None:
    world = await start_world(case_writes_per_address_burst=2.0,
                              case_writes_per_address_per_s=0.001)
    statuses = [(await anonymous_citizen(world).post("/api/v1/pre-complaints",
                                                     pre_complaint()))[0] for _ in range(3)]
    assert statuses == [201, 201, 429]


async def test_openapi_describes_every_request_body(world: IdentityWorld) -> None:
    status, document = await Api(world.gw.url).get("/api/v1/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    posts = {path: item["post"] for path, item in document["paths"].items() if "post" in item}
    assert set(posts) >= {"/api/v1/pre-complaints", "/api/v1/complaints",
                          "/api/v1/cases/{case_id}/messages",
                          "/api/v1/staff/cases/{case_id}/decision",
                          "/api/v1/cases/{case_id}/attachments"}
    for path, operation in posts.items():
        if path.endswith(("/withdraw", "/submit", "/claim")):
            assert "requestBody" not in operation
            continue
        content = operation["requestBody"]["content"]
        if "multipart/form-data" in content:
            assert content["multipart/form-data"]["schema"]["required"] == ["file"]
            continue
        ref = content["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[1] in schemas
    assert sorted(schemas["DecisionRequest"]["properties"]["decision"]["enum"]) == [
        "close", "confirm", "reject", "request_info", "reschedule", "validate"]


async def test_router_refusals_have_the_error_shape(world: IdentityWorld) -> None:
    api = anonymous_citizen(world)
    status, answer = await api.get("/api/v1/no-such-thing")
    assert status == 404 and answer["error"]["code"] == "not_found"
    status, answer = await api.call("DELETE", "/api/v1/complaints")
    assert status == 405 and answer["error"]["code"] == "method_not_allowed"
