"""The evidence subcommands in their own processes: export, verify, erase-expired,
rotate-key, on a data directory a log was written to."""

import asyncio
import json
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.evidence.retention import erase_expired
from rtc_gateway.evidence.verify import verify_bundle
from rtc_gateway.ports.evidence_log import EvidenceEntry

from .support import ManualClock, make_log, populate

CLI = Path(__file__).with_name("evidence_cli.py")


def export_args(data_dir: Path, conversation: str, out: Path) -> list[str]:
    return ["export", "--data-dir", str(data_dir), "--conversation", conversation,
            "--out", str(out)]


async def cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLI),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def _populated(data_dir: Path, clock: ManualClock) -> SqliteEvidenceLog:
    log = make_log(data_dir, clock)
    await log.start()
    await populate(log, data_dir, clock)
    return log


async def test_export_then_verify_then_export_again_with_consistency(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    await log.close()
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    code, out, err = await cli(
        *export_args(tmp_path, "conv-1", first),
        "--reason",
        "PV 2026/0042",
        "--actor",
        "op-9",
    )
    assert code == 0, err
    assert out.strip() == str(first)
    code, out, err = await cli("verify", str(first))
    assert code == 0, err
    assert "recordings: 2 files verified" in out
    assert "exported" in out and "by operator op-9, reason: PV 2026/0042" in out
    code, _, err = await cli(
        *export_args(tmp_path, "conv-1", second),
        "--no-media",
    )
    assert code == 0, err
    with zipfile.ZipFile(second) as archive:
        names = archive.namelist()
        records = json.loads(archive.read("records.json"))
        html = archive.read("transcript.html").decode()
        pdf = archive.read("transcript.pdf")
    assert not [n for n in names if n.startswith("recordings/")]
    assert [r for r in records if '"kind":"export"' in r["record"]].__len__() == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert pdf.startswith(b"%PDF-")
    code, out, err = await cli("verify", str(second), "--earlier-checkpoint", str(first))
    assert code == 0, err
    assert "recordings: not included" in out
    assert "(the earlier checkpoint given): ok" in out


async def test_export_of_an_unknown_conversation_fails(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    await log.close()
    code, _, err = await cli(
        *export_args(tmp_path, "nope", tmp_path / "x.zip"),
    )
    assert code == 2
    assert "no conversation nope" in err
    assert not (tmp_path / "x.zip").exists()


async def test_erased_texts_keep_the_bundle_verifiable(tmp_path: Path) -> None:
    clock = ManualClock()
    log = await _populated(tmp_path, clock)
    clock.advance(timedelta(days=10))
    late = await log.append(
        EvidenceEntry("conv-2", "message", "citizen", "cit-B", clock.now(), seq=6, text="récent")
    )
    erased = await erase_expired(log, clock.now(), timedelta(days=5))
    assert erased == 10
    texts = {r.seq: r.text for r in await log.conversation_records("conv-2", ["message"])}
    assert texts == {1: None, 2: None, 3: None, 4: None, 5: None, 6: "récent"}
    assert late.text == "récent"
    await log.close()
    out = tmp_path / "conv-1.zip"
    code, _, err = await cli(*export_args(tmp_path, "conv-1", out))
    assert code == 0, err
    result = verify_bundle(out)
    assert result.ok, result.fault
    assert len(result.erased) == 5
    with zipfile.ZipFile(out) as archive:
        assert "texte effacé à la fin de sa durée de conservation" in archive.read(
            "transcript.html").decode()


async def test_erase_expired_command(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    await log.close()
    code, out, err = await cli(
        "erase-expired", "--data-dir", str(tmp_path), "--older-than-days", "0"
    )
    assert code == 0, err
    assert out.strip() == "erased the text of 10 records"


async def test_rotate_key_command_and_bundle_across_rotations(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    first_key = log.verifier_key().encode()
    await log.close()
    for _ in range(2):
        code, out, err = await cli("rotate-key", "--data-dir", str(tmp_path))
        assert code == 0, err
    assert EvidencePaths.of(tmp_path).key.stat().st_mode & 0o777 == 0o600
    bundle = tmp_path / "b.zip"
    code, _, err = await cli(*export_args(tmp_path, "conv-1", bundle))
    assert code == 0, err
    code, out, err = await cli("verify", str(bundle), "--trusted-key", first_key)
    assert code == 0, err
    assert "(2 rotations)" in out
    code, _, err = await cli("verify", str(bundle), "--trusted-key", _other_key())
    assert code == 1
    assert "not the trusted key" in err


def _other_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from rtc_gateway.evidence.signed_note import VerifierKey

    from .support import ORIGIN

    return VerifierKey.of(ORIGIN, Ed25519PrivateKey.generate()).encode()


async def test_export_refuses_when_a_recording_is_missing(tmp_path: Path) -> None:
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    conversation = await populate(log, tmp_path, clock)
    await log.close()
    conversation.recording.unlink()
    code, _, err = await cli(
        *export_args(tmp_path, "conv-1", tmp_path / "x.zip"),
    )
    assert code == 2
    assert "conv-1/room-1-citizen.webm is not in" in err
    assert not (tmp_path / "x.zip").exists()
    assert not (tmp_path / "x.zip.partial").exists()
    code, _, err = await cli(
        *export_args(tmp_path, "conv-1", tmp_path / "x.zip"),
        "--no-media",
    )
    assert code == 0, err


async def test_export_proves_consistency_from_a_checkpoint_someone_holds(tmp_path: Path) -> None:
    clock = ManualClock()
    log = make_log(tmp_path, clock)
    await log.start()
    await populate(log, tmp_path, clock)
    held = tmp_path / "held.note"
    held.write_text(await log.checkpoint())
    await log.append(
        EvidenceEntry("conv-2", "message", "citizen", "cit-B", clock.now(), seq=6, text="suite")
    )
    await log.close()
    out = tmp_path / "conv-1.zip"
    code, _, err = await cli(
        *export_args(tmp_path, "conv-1", out),
        "--consistency-from",
        str(held),
    )
    assert code == 0, err
    code, out_text, err = await cli("verify", str(out), "--earlier-checkpoint", str(held))
    assert code == 0, err
    assert "(the earlier checkpoint given): ok" in out_text
    forged = tmp_path / "forged.note"
    origin, size, rest = held.read_text().split("\n", 2)
    forged.write_text(f"{origin}\n{int(size) - 1}\n{rest}")
    code, _, err = await cli(
        *export_args(tmp_path, "conv-1", tmp_path / "x.zip"),
        "--consistency-from",
        str(forged),
    )
    assert code == 2
    assert "cannot prove consistency with that checkpoint" in err


async def test_log_key_is_what_verify_trusts_across_rotations(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    first_key = log.verifier_key().encode()
    await log.close()
    code, published, err = await cli("log-key", "--data-dir", str(tmp_path))
    assert code == 0, err
    assert published.strip() == first_key
    code, _, err = await cli("rotate-key", "--data-dir", str(tmp_path))
    assert code == 0, err
    code, after, _ = await cli("log-key", "--data-dir", str(tmp_path))
    code, current, _ = await cli("log-key", "--data-dir", str(tmp_path), "--current")
    assert after == published and current != published
    assert current.strip() == current_key_of(tmp_path)
    bundle = tmp_path / "b.zip"
    code, _, err = await cli(*export_args(tmp_path, "conv-1", bundle))
    assert code == 0, err
    code, out, err = await cli("verify", str(bundle), "--trusted-key", published.strip())
    assert code == 0, err
    assert f"first key (trust anchor): {first_key} (1 rotation)" in out


def current_key_of(data_dir: Path) -> str:
    from rtc_gateway.evidence.signed_note import VerifierKey
    from rtc_gateway.security.keys import load_private_key

    from .support import ORIGIN

    return VerifierKey.of(ORIGIN, load_private_key(EvidencePaths.of(data_dir).key)).encode()


async def test_the_bundle_says_which_verifier_reads_it_and_carries_it(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    await log.close()
    bundle = tmp_path / "case.zip"
    code, _, err = await cli(*export_args(tmp_path, "conv-1", bundle), "--no-media")
    assert code == 0, err
    with zipfile.ZipFile(bundle) as archive:
        readme = archive.read("README.txt").decode()
        archive.extractall(tmp_path / "unzipped", [n for n in archive.namelist()
                                                   if n.startswith("verifier/")])
    assert "Format rtc-gateway-evidence-bundle/1, written by rtc-gateway 0.1.0" in readme
    assert "The verifier of rtc-gateway 0.1.0" in readme
    assert "rtc-gateway log-key" in readme and "--trusted-key" in readme
    assert "verifier/" in readme and "http" not in readme
    code, key, _ = await cli("log-key", "--data-dir", str(tmp_path))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import sys, rtc_gateway.evidence.verify as v; print(v.__file__);"
        " sys.exit(v.main(sys.argv[1:]))",
        str(bundle), "--trusted-key", key.strip(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "unzipped" / "verifier")},
    )
    out, err_bytes = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err_bytes.decode()
    lines = out.decode().splitlines()
    assert lines[0] == str(tmp_path / "unzipped/verifier/rtc_gateway/evidence/verify.py")
    assert lines[1] == "OK: the bundle verifies"
    assert "5 messages (seq 1..5)" in out.decode()


async def test_one_message_and_one_record_read_as_such(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    log = make_log(tmp_path, clock)
    await log.start()
    await log.append(EvidenceEntry("conv-1", "conversation.opened", "citizen", "c", clock.now()))
    await log.append(EvidenceEntry("conv-1", "message", "citizen", "c", clock.now(), seq=1,
                                   text="Bonjour"))
    await log.close()
    bundle = tmp_path / "one.zip"
    code, _, err = await cli(*export_args(tmp_path, "conv-1", bundle))
    assert code == 0, err
    code, out, err = await cli("verify", str(bundle))
    assert code == 0, err
    assert "3 records, chain intact, 1 message (seq 1..1)" in out
    assert "recordings: 0 files verified" in out
    code, out, err = await cli("erase-expired", "--data-dir", str(tmp_path),
                               "--older-than-days", "0")
    assert (code, out.strip()) == (0, "erased the text of 1 record")


async def test_an_unreadable_consistency_checkpoint_is_a_usage_error(tmp_path: Path) -> None:
    log = await _populated(tmp_path, ManualClock())
    await log.close()
    code, out, err = await cli(*export_args(tmp_path, "conv-1", tmp_path / "x.zip"),
                               "--consistency-from", str(tmp_path / "held.note"))
    assert (code, out) == (2, "")
    assert "cannot read the checkpoint" in err and "Traceback" not in err
    assert not (tmp_path / "x.zip").exists()
