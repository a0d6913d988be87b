"""`rtc-gateway token agent --unit`: the unit travels in the token and narrows the cases."""

import asyncio
import subprocess
import sys

from tests.gateway.cases.conftest import LYON, PARIS, Api, pre_complaint
from tests.gateway.cases.test_cases_api import anonymous_citizen
from tests.gateway.identity.conftest import IdentityWorld


async def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "rtc_gateway", *args],
                                   capture_output=True, text=True, timeout=60)


async def test_a_cli_token_with_a_unit_sees_that_units_cases(world: IdentityWorld) -> None:
    data_dir = str(world.gw.gateway.settings.data_dir)
    minted = await cli("token", "agent", "--data-dir", data_dir, "--id", "p-lyon",
                       "--name", "Brigadier Lyon", "--service", "police", "--unit",
                       "police-lyon-1er")
    assert minted.returncode == 0, minted.stderr
    assert world.gw.gateway.tokens.verify_agent(minted.stdout.strip()).unit == "police-lyon-1er"
    citizen = anonymous_citizen(world)
    _, in_lyon = await citizen.post("/api/v1/pre-complaints", pre_complaint(LYON))
    _, in_paris = await citizen.post("/api/v1/pre-complaints", pre_complaint(PARIS))
    officer = Api(world.gw.url, minted.stdout.strip())
    _, listed = await officer.get("/api/v1/staff/cases")
    assert [c["id"] for c in listed["cases"]] == [in_lyon["id"]]
    assert (await officer.get(f"/api/v1/staff/cases/{in_paris['id']}"))[0] == 404

    refused = await cli("token", "agent", "--data-dir", data_dir, "--id", "x", "--name", "X",
                        "--service", "police", "--unit", "Lyon centre")
    assert refused.returncode == 2 and "unit_id must look like" in refused.stderr
    mismatched = await cli("token", "agent", "--data-dir", data_dir, "--id", "x", "--name",
                           "X", "--service", "police", "--unit", "gendarmerie-bta-mende")
    assert mismatched.returncode == 2 and "not a unit of the police" in mismatched.stderr
