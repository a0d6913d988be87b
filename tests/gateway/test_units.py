"""``GET /api/v1/units`` on a real gateway with the shipped sample directory, and the
same lookup behind a chat's ``service: auto``."""

from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway


async def get(gw: RunningGateway, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(gw.url + path) as response:
        return response.status, await response.json(content_type=None)


async def test_a_position_in_lyon_gets_the_police_and_nearest_stations(
        gw: RunningGateway) -> None:
    status, answer = await get(gw, "/api/v1/units?lat=45.764&lon=4.8357")
    assert status == 200, answer
    assert answer["force"] == "police" and answer["coverage"] == "directory"
    assert answer["commune"] == {"insee": "69123", "name": "Lyon", "department": "69"}
    units = answer["units"]
    assert [u["id"] for u in units] == ["police-lyon-1er", "police-lyon-2e", "police-lyon-3e"]
    first = units[0]
    assert set(first) >= {"id", "name", "force", "address", "lat", "lon", "hours", "phone",
                          "open_now", "distance_km"}
    assert first["force"] == "police" and first["address"] == "5 place Sathonay"
    assert first["hours"]["monday"] == ["08:30-19:00"] and first["hours"]["sunday"] == []
    assert isinstance(first["open_now"], bool)
    assert [u["distance_km"] for u in units] == sorted(u["distance_km"] for u in units)


async def test_a_commune_code_gets_its_competent_force(gw: RunningGateway) -> None:
    status, answer = await get(gw, "/api/v1/units?commune=74056&limit=1")
    assert status == 200, answer
    assert answer["force"] == "gendarmerie"
    assert [u["id"] for u in answer["units"]] == ["gendarmerie-bta-chamonix-mont-blanc"]
    status, paris = await get(gw, "/api/v1/units?commune=75056")
    assert status == 200 and paris["force"] == "police"
    assert all(u["open_now"] is True for u in paris["units"])  # 24h/24


async def test_one_unit_by_id(gw: RunningGateway) -> None:
    status, unit = await get(gw, "/api/v1/units/gendarmerie-bta-florac")
    assert status == 200 and unit["name"] == "Brigade territoriale autonome de Florac"
    assert (await get(gw, "/api/v1/units/police-atlantis"))[0] == 404
    assert (await get(gw, "/api/v1/units/Commissariat"))[0] == 400


async def test_a_commune_not_in_the_directory_is_not_found(gw: RunningGateway) -> None:
    status, answer = await get(gw, "/api/v1/units?commune=13055")
    assert status == 404 and answer["error"]["code"] == "not_found"
    assert "13055" in answer["error"]["message"]


async def test_a_position_outside_the_directory_gets_an_approximate_force(
        gw: RunningGateway) -> None:
    """Lille is in no commune of the sample: the coarse urban areas give the police."""
    status, answer = await get(gw, "/api/v1/units?lat=50.63&lon=3.06")
    assert status == 200
    assert answer == {"force": "police", "coverage": "approximate", "units": [],
                      "commune": None}


@pytest.mark.parametrize("query", [
    "", "?lat=45.7", "?lon=4.8", "?lat=north&lon=4.8", "?lat=91&lon=0", "?lat=nan&lon=0",
    "?lat=45&lon=4&commune=69123", "?commune=PARIS", "?commune=", "?commune=6912",
    "?lat=45.76&lon=4.83&limit=0", "?lat=45.76&lon=4.83&limit=11",
    "?lat=45.76&lon=4.83&limit=two", "?lat=inf&lon=4",
])
async def test_bad_queries_are_bad_requests(gw: RunningGateway, query: str) -> None:
    status, answer = await get(gw, "/api/v1/units" + query)
    assert status == 400, (query, answer)
    assert answer["error"]["code"] == "bad_request" and answer["error"]["message"]


async def test_reads_are_limited_per_address(start_gateway: StartGateway) -> None:
    gw = await start_gateway(public_reads_per_address_per_s=0.01,
                             public_reads_per_address_burst=2.0)
    statuses = [(await get(gw, "/api/v1/units?commune=48095"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_auto_service_uses_the_directory(gw: RunningGateway) -> None:
    """Florac is a gendarmerie commune; Mende, 20 km away, a police one."""
    citizen = await gw.citizen()
    florac = await citizen.ok("conversation:open", {
        "topic": "general", "service": "auto", "location": {"lat": 44.33, "lon": 3.59}})
    mende = await citizen.ok("conversation:open", {
        "topic": "general", "service": "auto", "location": {"lat": 44.52, "lon": 3.50}})
    assert florac["conversation"]["service"] == "gendarmerie"
    assert mende["conversation"]["service"] == "police"
