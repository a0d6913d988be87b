"""The video room service on a real SQLite evidence log, loopback-only ICE."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.services.video_rooms import VideoRoomService
from tests.rtc.calls import Ended


@asynccontextmanager
async def video_service(
    tmp_path: Path, **options: Any
) -> AsyncIterator[tuple[VideoRoomService, SqliteEvidenceLog, Ended]]:
    """A video room service with its evidence log; ``options`` go to the service."""
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
        **options,
    )
    try:
        yield svc, evidence, ended
    finally:
        await svc.close()
        await evidence.close()


@pytest.fixture
async def service(
    tmp_path: Path,
) -> AsyncIterator[tuple[VideoRoomService, SqliteEvidenceLog, Ended]]:
    async with video_service(tmp_path) as parts:
        yield parts
