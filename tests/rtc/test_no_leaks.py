"""100 consecutive calls leave no peer, task, thread, file descriptor or memory behind."""

import asyncio
import gc
import os
import threading
from functools import partial
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.rtc.leg import Leg
from rtc_gateway.services.video_rooms import Participant, RoomEnded, VideoRoomService
from tests.rtc.calls import AGENT, connect, wait_for
from tests.rtc.client_peer import ClientPeer

CYCLES = 100
WARMUP = 20
EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, kind))


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1])


def both_receive(agent: ClientPeer, citizen: ClientPeer) -> bool:
    return min(agent.received.video_frames, citizen.received.video_frames) > 2


def snapshot() -> dict[str, int]:
    return {
        "threads": sum(1 for t in threading.enumerate() if not t.name.startswith("asyncio_")),
        "executor_threads": sum(1 for t in threading.enumerate() if t.name.startswith("asyncio_")),
        "tasks": len(asyncio.all_tasks()),
        "fds": len(os.listdir("/proc/self/fd")),
        "peers": live(RTCPeerConnection),
        "legs": live(Leg),
    }


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_hundred_calls_leave_nothing_behind(tmp_path: Path) -> None:
    evidence = SqliteEvidenceLog(
        tmp_path / "evidence.sqlite3", tmp_path / "signing.key", "leak-test", SystemClock()
    )
    await evidence.start()
    ended: list[RoomEnded] = []

    async def on_ended(event: RoomEnded) -> None:
        ended.append(event)

    svc = VideoRoomService(
        evidence=evidence,
        recordings_dir=tmp_path / "recordings",
        ice_servers=[],
        clock=SystemClock(),
        on_room_ended=on_ended,
        host_addresses=["127.0.0.1"],
    )
    baseline: dict[str, int] = {}
    rss_after_warmup = 0
    objects_after_warmup = 0
    for cycle in range(CYCLES):
        room = await svc.start(f"conv-{cycle}", AGENT)
        agent = await connect(svc, room.room_id, AGENT)
        citizen = await connect(svc, room.room_id, Participant("citizen", f"c-{cycle}"))
        await wait_for(partial(both_receive, agent, citizen), 20)
        await svc.leave(room.room_id, AGENT)
        await agent.close()
        await citizen.close()
        del agent, citizen, room
        if cycle == WARMUP - 1:
            await asyncio.sleep(0.2)
            baseline = snapshot()
            rss_after_warmup = rss_kib()
            objects_after_warmup = len(gc.get_objects())

    await asyncio.sleep(0.2)
    after = snapshot()
    object_growth = len(gc.get_objects()) - objects_after_warmup
    growth_kib = rss_kib() - rss_after_warmup
    print(
        f"\nbaseline {baseline} after {after}"
        f" python objects {object_growth:+d}, rss growth {growth_kib} KiB"
    )
    assert len(ended) == CYCLES
    assert svc.active_rooms == 0
    assert after["peers"] == 0 and after["legs"] == 0
    assert after["threads"] <= baseline["threads"]
    assert after["executor_threads"] <= EXECUTOR_THREADS  # the loop's bounded default pool
    assert after["tasks"] <= baseline["tasks"]
    assert after["fds"] <= baseline["fds"]
    assert object_growth < 1000
    # RSS also moves with glibc's per-thread arenas (the evidence writer thread); media
    # alone stays flat (docs/performance-video.md), so this bound only catches real leaks.
    assert growth_kib < 48 * 1024
    await svc.close()
    await evidence.close()
