"""The video room service on a real SQLite evidence log, loopback-only ICE."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.services.video_rooms import VideoRoomService
from tests.rtc.calls import Ended


@pytest.fixture
async def service(
    tmp_path: Path,
) -> AsyncIterator[tuple[VideoRoomService, SqliteEvidenceLog, Ended]]:
    evidence = SqliteEvidenceLog(
        tmp_path / "evidence.sqlite3", tmp_path / "signing.key", "video-test", SystemClock()
    )
    await evidence.start()
    ended = Ended()
    svc = VideoRoomService(
        evidence=evidence,
        recordings_dir=tmp_path / "recordings",
        ice_servers=[],
        clock=SystemClock(),
        on_room_ended=ended,
        host_addresses=["127.0.0.1"],
    )
    yield svc, evidence, ended
    await svc.close()
    await evidence.close()
