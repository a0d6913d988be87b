"""Attachments through real HTTP multipart uploads against a running gateway."""

import asyncio
import hashlib
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import aiohttp

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from tests.gateway.cases.conftest import LYON, pre_complaint
from tests.gateway.conftest import RunningGateway, StartGateway
from tests.support.attachment_files import (
    CAMERA,
    FAKE_JPEG,
    HTML_AS_JPG,
    PDF_AUTHOR,
    SVG,
    gps_of,
    jpeg_with_gps,
    pdf_receipt,
    pdf_with_metadata,
)

PARIS_UNIT = "police-paris-5e"


class Caller:
    def __init__(self, gw: RunningGateway, token: str) -> None:
        self.url = gw.url
        self.auth = {"Authorization": f"Bearer {token}"}

    async def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, http.request(
                method, self.url + path, json=body, headers=self.auth) as response:
            return response.status, await response.json(content_type=None)

    async def upload(self, case_id: str, data: bytes, *, filename: str = "photo.jpg",
                     content_type: str = "image/jpeg", strip: str | None = None,
                     extra: dict[str, str] | None = None) -> tuple[int, Any]:
        form = aiohttp.FormData()
        if strip is not None:
            form.add_field("strip_metadata", strip)
        form.add_field("file", data, filename=filename, content_type=content_type)
        for name, value in (extra or {}).items():
            form.add_field(name, value)
        return await self.raw(case_id, form)

    async def raw(self, case_id: str, body: Any,
                  headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.url}/api/v1/cases/{case_id}/attachments", data=body,
                headers={**self.auth, **(headers or {})}) as response:
            return response.status, await response.json(content_type=None)

    async def download(self, case_id: str, sha256: str) -> tuple[int, Any, bytes]:
        async with aiohttp.ClientSession() as http, http.get(
                f"{self.url}/api/v1/cases/{case_id}/attachments/{sha256}",
                headers=self.auth) as response:
            return response.status, response.headers, await response.read()


def citizen(gw: RunningGateway) -> Caller:
    return Caller(gw, gw.gateway.tokens.new_citizen().token)


def officer(gw: RunningGateway, agent_id: str, force: str = "police",
            unit: str | None = PARIS_UNIT) -> Caller:
    profile = AgentProfile(agent_id, agent_id, Force(force), Role.AGENT, unit=unit)
    return Caller(gw, gw.gateway.tokens.mint_agent(profile, 3600).token)


async def new_case(caller: Caller, **extra: Any) -> dict[str, Any]:
    status, case = await caller.json("POST", "/api/v1/pre-complaints", pre_complaint(**extra))
    assert status == 201, case
    return dict(case)


def code(answer: tuple[int, Any]) -> tuple[int, str]:
    return answer[0], answer[1]["error"]["code"]


async def test_photo_upload_list_and_download(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    alice, paris = citizen(gw), officer(gw, "p-paris")
    case = await new_case(alice)
    status, meta = await alice.upload(case["id"], jpeg_with_gps(), strip="true")
    assert status == 201, meta
    assert meta["content_type"] == "image/jpeg" and meta["metadata_stripped"] is True
    assert meta["author_role"] == "citizen"

    status, headers, body = await paris.download(case["id"], meta["sha256"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == meta["sha256"]
    assert gps_of(body) == {} and CAMERA.encode() not in body
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in headers["Content-Security-Policy"]
    for caller in (alice, paris):
        status, listed = await caller.json("GET", f"/api/v1/cases/{case['id']}/attachments")
        assert status == 200 and listed["attachments"] == [meta]
    assert (await alice.json("GET", f"/api/v1/cases/{case['id']}"))[1]["attachments"] == [meta]

    status, as_sent = await alice.upload(case["id"], jpeg_with_gps(), strip="false")
    assert status == 201 and as_sent["metadata_stripped"] is False
    assert gps_of((await alice.download(case["id"], as_sent["sha256"]))[2])
    assert code(await alice.upload(case["id"], jpeg_with_gps())) == (409, "conflict")
    records = await gw.gateway.evidence.conversation_records(case["id"])
    attached = [r.data["sha256"] for r in records if r.kind == "case.attachment"]
    assert attached == [meta["sha256"], as_sent["sha256"]]

    root = gw.gateway.settings.attachments_dir
    blob = root / meta["sha256"][:2] / meta["sha256"]
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


async def test_a_pdf_upload_is_stripped_on_request(start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    alice = citizen(gw)
    case = await new_case(alice)
    original = pdf_with_metadata()
    status, meta = await alice.upload(case["id"], original, filename="facture.pdf",
                                      content_type="application/pdf", strip="true")
    assert status == 201, meta
    assert meta["content_type"] == "application/pdf" and meta["metadata_stripped"] is True
    status, _, body = await alice.download(case["id"], meta["sha256"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == meta["sha256"] != (
        hashlib.sha256(original).hexdigest())
    assert PDF_AUTHOR.encode() not in body and body.startswith(b"%PDF-")


async def test_only_the_citizen_and_staff_in_charge_reach_the_files(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway()
    alice, mallory = citizen(gw), citizen(gw)
    paris, lyon = officer(gw, "p-paris"), officer(gw, "p-lyon", unit="police-lyon")
    gendarme = officer(gw, "g1", "gendarmerie", unit=None)
    case = await new_case(alice)
    status, receipt = await paris.upload(case["id"], pdf_receipt(), filename="recu.pdf",
                                         content_type="application/pdf")
    assert status == 201 and receipt["author_role"] == "agent"
    assert receipt["content_type"] == "application/pdf"
    status, headers, body = await alice.download(case["id"], receipt["sha256"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == receipt["sha256"]
    assert headers["Content-Type"] == "application/pdf"
    path = f"/api/v1/cases/{case['id']}/attachments"
    for outsider in (mallory, lyon, gendarme):
        assert code(await outsider.json("GET", path)) == (404, "not_found")
        assert (await outsider.download(case["id"], receipt["sha256"]))[0] == 404
        assert code(await outsider.upload(case["id"], jpeg_with_gps())) == (404, "not_found")
    assert (await alice.download(case["id"], "0" * 64))[0] == 404
    assert (await alice.download(case["id"], "not-a-hash"))[0] == 404
    lyon_case = await new_case(alice, place=LYON)
    assert (await alice.download(lyon_case["id"], receipt["sha256"]))[0] == 404
    async with aiohttp.ClientSession() as http, http.get(gw.url + path) as anonymous:
        assert anonymous.status == 401


async def test_every_refusal_has_its_code(start_gateway: StartGateway) -> None:
    gw = await start_gateway(max_attachment_bytes=64 * 1024, max_attachments_per_case=2)
    alice = citizen(gw)
    case = await new_case(alice)
    case_id = case["id"]
    for impostor, name in ((HTML_AS_JPG, "photo.jpg"), (SVG, "dessin.svg"),
                           (FAKE_JPEG, "photo.jpg"), (b"%PDF-1.7\n1 0 obj", "doc.pdf"),
                           (b"%PDF-1.7\nno objects\n%%EOF\n", "doc.pdf")):
        answer = await alice.upload(case_id, impostor, filename=name)
        assert code(answer) == (415, "unsupported_type"), (name, answer)
    assert code(await alice.raw(case_id, b'{"file": "x"}', {"Content-Type": "application/json"})
                ) == (415, "unsupported_type")
    big = b"\xff\xd8\xff" + bytes(200 * 1024)
    assert code(await alice.upload(case_id, big)) == (413, "too_large")

    async def streamed() -> Any:
        boundary = "b0undary"
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"a.jpg\"\r\n\r\n").encode()
        for _ in range(100):
            yield b"\xff" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = await alice.raw(case_id, streamed(),
                              {"Content-Type": "multipart/form-data; boundary=b0undary"})
    assert code(chunked) == (413, "too_large")
    staging = gw.gateway.settings.attachments_dir / "staging"
    assert list(staging.iterdir()) == []

    multipart = {"Content-Type": "multipart/form-data; boundary=xyz"}
    for garbage in (b"no boundary here at all", b"--xyz\r\nbroken",
                    b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"):
        assert code(await alice.raw(case_id, garbage, multipart)) == (400, "bad_request")
    assert code(await alice.raw(case_id, b"x", {"Content-Type": "multipart/form-data"})
                ) == (400, "bad_request")
    no_file = aiohttp.FormData({"strip_metadata": "true"}, default_to_multipart=True)
    assert code(await alice.raw(case_id, no_file)) == (400, "bad_request")
    assert code(await alice.upload(case_id, jpeg_with_gps(), extra={"comment": "x"})
                ) == (400, "bad_request")
    assert code(await alice.upload(case_id, jpeg_with_gps(), strip="peut-être")
                ) == (400, "bad_request")
    assert list(staging.iterdir()) == []

    assert (await alice.upload(case_id, jpeg_with_gps(), strip="true"))[0] == 201
    assert (await alice.upload(case_id, pdf_receipt()))[0] == 201
    full = await alice.upload(case_id, jpeg_with_gps())
    assert code(full) == (409, "conflict") and "at most 2" in full[1]["error"]["message"]
    other = await new_case(alice)
    await alice.json("POST", f"/api/v1/cases/{other['id']}/withdraw")
    assert code(await alice.upload(other["id"], jpeg_with_gps())) == (409, "conflict")


async def test_uploads_are_rate_limited_per_identity(start_gateway: StartGateway) -> None:
    gw = await start_gateway(attachment_uploads_per_identity_burst=2.0)
    alice, bob = citizen(gw), citizen(gw)
    case = await new_case(alice)
    assert (await alice.upload(case["id"], jpeg_with_gps()))[0] == 201
    assert (await alice.upload(case["id"], pdf_receipt()))[0] == 201
    assert code(await alice.upload(case["id"], jpeg_with_gps(), strip="true")
                ) == (429, "rate_limited")
    bobs = await new_case(bob)
    assert (await bob.upload(bobs["id"], jpeg_with_gps()))[0] == 201


async def test_export_bundles_the_files_and_verify_checks_them(
        start_gateway: StartGateway, tmp_path: Path) -> None:
    gw = await start_gateway()
    alice = citizen(gw)
    case = await new_case(alice)
    _, photo = await alice.upload(case["id"], jpeg_with_gps(), strip="true")
    _, receipt = await officer(gw, "p1").upload(case["id"], pdf_receipt(),
                                                content_type="application/pdf")
    supervisor = AgentProfile("s1", "s1", Force.POLICE, Role.SUPERVISOR)
    token = gw.gateway.tokens.mint_agent(supervisor, 3600).token
    async with aiohttp.ClientSession() as http, http.post(
            f"{gw.url}/api/v1/conversations/{case['id']}/export",
            json={"reason": case["reference"]},
            headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200
        (tmp_path / "http.zip").write_bytes(await response.read())
    with zipfile.ZipFile(tmp_path / "http.zip") as bundle:
        assert f"attachments/{receipt['sha256']}" in bundle.namelist()
    data_dir = gw.gateway.settings.data_dir
    await gw.runner.cleanup()
    gw.clients.clear()

    async def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "rtc_gateway",
                                                        *args], capture_output=True,
                                       text=True, timeout=60)

    out = tmp_path / "case.zip"
    exported = await cli("export", "--data-dir", str(data_dir), "--case", case["id"],
                         "--out", str(out), "--reason", case["reference"])
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        assert {f"attachments/{photo['sha256']}", f"attachments/{receipt['sha256']}"} <= names
        assert hashlib.sha256(bundle.read(f"attachments/{photo['sha256']}")).hexdigest() == (
            photo["sha256"])
    verified = await cli("verify", str(out))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "attachments: 2 files verified" in verified.stdout

    light = tmp_path / "light.zip"
    assert (await cli("export", "--data-dir", str(data_dir), "--case", case["id"],
                      "--out", str(light), "--no-media")).returncode == 0
    verified = await cli("verify", str(light))
    assert verified.returncode == 0 and "attachments: not included (2 hashes" in (
        verified.stdout)

    (data_dir / "attachments" / photo["sha256"][:2] / photo["sha256"]).unlink()
    missing = await cli("export", "--data-dir", str(data_dir), "--case", case["id"],
                        "--out", str(tmp_path / "x.zip"))
    assert missing.returncode != 0 and photo["sha256"] in missing.stderr
    assert "Traceback" not in missing.stderr


async def test_uploads_are_rate_limited_per_address(start_gateway: StartGateway) -> None:
    gw = await start_gateway(attachment_uploads_per_address_burst=2.0,
                             attachment_uploads_per_address_per_s=0.001)
    statuses = []
    for _ in range(3):
        caller = citizen(gw)
        case = await new_case(caller)
        statuses.append((await caller.upload(case["id"], jpeg_with_gps()))[0])
    assert statuses == [201, 201, 429]


async def test_the_gateway_sweeps_files_no_case_lists(start_gateway: StartGateway) -> None:
    gw = await start_gateway(case_purge_interval_s=0.05, attachment_sweep_grace_s=60.0)
    alice = citizen(gw)
    case = await new_case(alice)
    status, meta = await alice.upload(case["id"], pdf_receipt(), filename="facture.pdf",
                                      content_type="application/pdf")
    assert status == 201, meta
    root = gw.gateway.settings.attachments_dir
    listed = root / meta["sha256"][:2] / meta["sha256"]
    orphan_sha = hashlib.sha256(b"left behind").hexdigest()
    orphan = root / orphan_sha[:2] / orphan_sha
    orphan.parent.mkdir(mode=0o700, exist_ok=True)
    orphan.write_bytes(b"left behind")
    recent_sha = hashlib.sha256(b"being attached").hexdigest()
    recent = root / recent_sha[:2] / recent_sha
    recent.parent.mkdir(mode=0o700, exist_ok=True)
    recent.write_bytes(b"being attached")
    hour_ago = time.time() - 3600
    os.utime(orphan, (hour_ago, hour_ago))
    os.utime(listed, (hour_ago, hour_ago))
    for _ in range(200):
        if not orphan.exists():
            break
        await asyncio.sleep(0.02)
    assert not orphan.exists()
    assert listed.is_file() and recent.is_file()  # listed by a case; within the grace
    status, _, body = await alice.download(case["id"], meta["sha256"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == meta["sha256"]
