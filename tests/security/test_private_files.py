"""The data directory is owner-only whatever the umask: the evidence log, its -wal and
-shm, the signing keys, recordings and exports."""

import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from rtc_gateway.rtc.passthrough import EncodedFrame
from rtc_gateway.rtc.recorder import ParticipantRecorder
from rtc_gateway.security.keys import load_or_create_private_key, load_private_key
from rtc_gateway.security.private_files import (
    create_missing_dirs,
    open_private,
    private_dir,
    replace_private_file,
)
from tests.evidence.support import ManualClock, make_log, populate
from tests.evidence.test_commands import cli
from tests.rtc.media import vp8_frames

from .modes import mode, not_private


async def test_evidence_log_database_wal_shm_and_key_are_private(tmp_path: Path,
                                                                 umask: int) -> None:
    data_dir = tmp_path / "data"
    clock = ManualClock()
    log = make_log(data_dir, clock)
    await log.start()
    try:
        await log.append(EvidenceEntry("conv-1", RecordKind.MESSAGE, "citizen", "c_1",
                                       clock.now(), seq=1, text="adresse du domicile"))
        for suffix in ("", "-wal", "-shm"):
            assert (data_dir / f"evidence.db{suffix}").exists()
        assert not_private(data_dir) == {}
    finally:
        await log.close()
    assert not_private(data_dir) == {}


async def test_files_left_world_readable_by_an_older_version_are_tightened(
        tmp_path: Path, umask: int) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    con = sqlite3.connect(data_dir / "evidence.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE leftover (x)")
    con.close()
    os.chmod(data_dir / "evidence.db", 0o644)
    (data_dir / "keys").mkdir(mode=0o755)
    load_or_create_private_key(data_dir / "keys" / "token-signing.key")
    os.chmod(data_dir / "keys", 0o755)
    os.chmod(data_dir / "keys" / "token-signing.key", 0o644)

    private_dir(data_dir)
    load_or_create_private_key(data_dir / "keys" / "token-signing.key")
    log = make_log(data_dir)
    await log.start()
    await log.close()
    assert mode(data_dir / "evidence.db") == 0o600
    assert mode(data_dir / "keys" / "token-signing.key") == 0o600
    assert mode(data_dir) == 0o700


def test_keys_created_with_their_folders_are_private(tmp_path: Path, umask: int) -> None:
    load_or_create_private_key(tmp_path / "data" / "keys" / "token-signing.key")
    assert not_private(tmp_path / "data") == {}


def test_helpers_never_loosen_and_leave_existing_outside_folders_alone(
        tmp_path: Path, umask: int) -> None:
    outside = tmp_path / "exports"
    outside.mkdir()
    os.chmod(outside, 0o755)
    create_missing_dirs(outside / "case-1")
    with open_private(outside / "case-1" / "bundle.zip") as handle:
        handle.write(b"PK")
    assert mode(outside) == 0o755, "a folder the operator made is not changed"
    assert mode(outside / "case-1") == 0o700
    assert mode(outside / "case-1" / "bundle.zip") == 0o600


async def test_recordings_and_their_folders_are_private(tmp_path: Path, umask: int) -> None:
    recordings = tmp_path / "data" / "recordings"
    recorder = ParticipantRecorder(recordings / "room-1" / "citizen",
                                   {"video": "VP8"}, lambda: None, lambda: 100.0)
    for index, frame in enumerate(vp8_frames(3)):
        recorder.write(EncodedFrame("video", "VP8", frame, index * 3000, 90000, index == 0))
    summary = await recorder.finish()
    assert summary is not None
    assert not_private(tmp_path / "data") == {}


async def test_cli_export_bundle_is_private(tmp_path: Path, umask: int) -> None:
    data_dir = tmp_path / "data"
    clock = ManualClock()
    log = make_log(data_dir, clock)
    await log.start()
    await populate(log, data_dir, clock)
    await log.close()
    out = tmp_path / "exports" / "case-1" / "bundle.zip"
    code, _, err = await cli("export", "--data-dir", str(data_dir), "--conversation", "conv-1",
                             "--out", str(out))
    assert code == 0, err
    assert mode(out) == 0o600, "the bundle holds the transcript and the recordings"
    assert mode(out.parent) == 0o700


def test_processes_creating_one_shared_key_at_once_all_use_the_one_kept(
        tmp_path: Path) -> None:
    """Nodes starting together on one keys folder: each used to write its own key over
    the same temporary file, so some signed with a key that was not the one kept."""
    path = tmp_path / "keys" / "token.pem"
    start = threading.Barrier(8)

    def create() -> bytes:
        start.wait()
        return load_or_create_private_key(path).public_key().public_bytes_raw()

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: create(), range(8)))
    assert len(set(keys)) == 1
    assert load_private_key(path).public_key().public_bytes_raw() == keys[0]
    assert sorted(p.name for p in path.parent.iterdir()) == ["token.pem"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_concurrent_replacements_leave_one_whole_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "note.bin"
    start = threading.Barrier(8)

    def replace(index: int) -> None:
        start.wait()
        replace_private_file(path, bytes([index]) * 4096)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(replace, range(8)))
    data = path.read_bytes()
    assert len(data) == 4096 and len(set(data)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["note.bin"]
