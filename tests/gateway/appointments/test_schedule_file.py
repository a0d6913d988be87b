"""``RTC_GATEWAY_APPOINTMENT_SCHEDULES``: the operator's schedules, read at start by a
real ``serve`` process; a bad file stops the start with one line naming it."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support.gateway_process import free_port, running_gateway

SCHEDULES = {"schedules": [{
    "unit_id": "gendarmerie-bta-mende", "slot_minutes": 60,
    "weekly": [{"weekday": d, "start": "08:00", "end": "18:00", "officer_id": "G-1"}
               for d in range(7)],
    "exceptions": []}]}


def test_the_file_publishes_the_units_slots(tmp_path: Path) -> None:
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps(SCHEDULES))
    with running_gateway(tmp_path / "data",
                         env={"RTC_GATEWAY_APPOINTMENT_SCHEDULES": str(path)}) as gateway:
        with urllib.request.urlopen(f"{gateway.url}/api/v1/appointments/slots"
                                    "?lat=44.32&lon=3.59", timeout=10) as response:
            body = json.load(response)
        assert "Traceback" not in gateway.log()
    assert body["force"] == "gendarmerie" and body["slots"]
    assert {s["officer_id"] for s in body["slots"]} == {"G-1"}
    assert all(s["id"].startswith("gendarmerie-bta-mende:") for s in body["slots"])


def test_a_bad_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": [{"unit_id": "police-lyon", "weekly": [
        {"weekday": 1, "start": "18:00", "end": "08:00"}]}]}))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
    result = subprocess.run(
        [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(tmp_path / "data"),
         "--port", str(free_port())], capture_output=True, text=True, timeout=60,
        env={**clean, "RTC_GATEWAY_APPOINTMENT_SCHEDULES": str(path)})
    assert result.returncode == 1
    assert f"appointment schedules {path}" in result.stderr
    assert "an opening must end after it starts" in result.stderr
    assert "Traceback" not in result.stderr
