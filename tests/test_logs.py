"""The gateway's log lines: third-party chatter kept quiet, video rooms reported."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rtc_gateway.logs import configure_logging
from tests.rtc.calls import AGENT, CITIZEN, connect, wait_for
from tests.rtc.conftest import video_service


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level for name in ("aioice", "aiortc")}
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name, previous in libraries.items():
        logging.getLogger(name).setLevel(previous)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def one_call(tmp_path: Path) -> None:
    async with video_service(tmp_path) as (svc, _, ended):
        room = await svc.start("conv-7", AGENT)
        agent = await connect(svc, room.room_id, AGENT)
        citizen = await connect(svc, room.room_id, CITIZEN)
        await wait_for(lambda: agent.received.video_frames >= 10, within_s=20)
        await svc.leave(room.room_id, AGENT)
        await agent.close()
        await citizen.close()
        assert len(ended.events) == 1


@pytest.mark.usefixtures("restore_logging")
async def test_a_call_logs_its_room_and_not_the_ice_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info")
    await one_call(tmp_path)
    lines = json_lines(capsys.readouterr().err)
    chatter = [line for line in lines if line["logger"].startswith(("aioice", "aiortc"))]
    assert chatter == []
    started = [line for line in lines if line["msg"] == "video room started"]
    ended = [line for line in lines if line["msg"] == "video room ended"]
    assert len(started) == 1 and len(ended) == 1
    assert started[0]["conversation_id"] == "conv-7"
    assert ended[0]["room_id"] == started[0]["room_id"]
    assert ended[0]["conversation_id"] == "conv-7"
    assert ended[0]["duration_s"] > 0
    assert ended[0]["recording_bytes"] > 0
    assert ended[0]["reason"]


@pytest.mark.usefixtures("restore_logging")
async def test_at_debug_the_ice_library_speaks_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("debug")
    await one_call(tmp_path)
    lines = json_lines(capsys.readouterr().err)
    assert [line for line in lines if line["logger"].startswith("aioice")]
