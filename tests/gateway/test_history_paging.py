"""History comes in pages that fit a frame: resume forward, history and assigned backward."""

import asyncio
from typing import Any

import msgspec

from tests.gateway.conftest import RunningGateway, StartGateway
from tests.gateway.test_chat import assigned_pair
from tests.support.sio_client import RecordingClient

FRAME_HEAD_BYTES = 64
"""Socket.IO packet type, namespace and ack id around an event's JSON."""


def cjk_text(index: int, length: int = 4000) -> str:
    head = f"{index:04d}"
    return head + "".join(chr(0x4E00 + (index * 7 + k) % 20000) for k in range(length - 4))


def frame_bytes(data: Any) -> int:
    return len(msgspec.json.encode(data)) + FRAME_HEAD_BYTES


async def post_many(citizen: RecordingClient, cid: str, count: int, text=cjk_text,  # type: ignore[no-untyped-def]
                    batch: int = 50) -> None:
    for start in range(0, count, batch):
        await asyncio.gather(*(
            citizen.ok("message:send", {"conversation_id": cid, "client_msg_id": f"m{i}",
                                        "text": text(i)})
            for i in range(start, min(start + batch, count))))


async def everything_before(client: RecordingClient, cid: str, before_seq: int,
                            limit_bytes: int) -> list[dict[str, Any]]:
    older: list[dict[str, Any]] = []
    has_more = True
    while has_more:
        page = await client.ok("conversation:history", {"conversation_id": cid,
                                                        "before_seq": before_seq})
        assert frame_bytes(page) <= limit_bytes
        assert page["messages"], "a page that says has_more is never empty"
        older = page["messages"] + older
        before_seq = page["messages"][0]["seq"]
        has_more = page["has_more"]
    return older


async def everything_after(client: RecordingClient, cid: str, after_seq: int,
                           limit_bytes: int) -> list[dict[str, Any]]:
    newer: list[dict[str, Any]] = []
    has_more = True
    while has_more:
        page = await client.ok("conversation:resume", {"conversation_id": cid,
                                                       "after_seq": after_seq})
        assert frame_bytes(page) <= limit_bytes
        newer += page["messages"]
        if page["messages"]:
            after_seq = page["messages"][-1]["seq"]
        has_more = page["has_more"]
    return newer


async def test_a_long_cjk_history_reaches_a_new_officer_and_a_new_tab_in_frames(
        start_gateway: StartGateway) -> None:
    gw = await start_gateway(rate_per_s=100_000.0, rate_burst=100_000.0)
    limit = gw.gateway.settings.max_packet_bytes
    citizen, officer, cid = await assigned_pair(gw)
    count = 1000
    await post_many(citizen, cid, count)

    successor = await gw.agent("a2")
    await officer.ok("conversation:transfer", {"conversation_id": cid,
                                               "to": {"agent_id": "a2"}})
    assigned = await successor.wait_for("conversation:assigned", timeout=20)
    assert frame_bytes(assigned) <= limit
    latest = assigned["messages"]
    assert latest[-1]["seq"] == count and assigned["has_more"] is True
    assert [m["seq"] for m in latest] == list(range(latest[0]["seq"], count + 1))
    older = await everything_before(successor, cid, latest[0]["seq"], limit)
    history = older + latest
    assert [m["seq"] for m in history] == list(range(1, count + 1))
    assert [m["text"] for m in history] == [cjk_text(i) for i in range(count)]
    assert successor.sio.connected

    token = citizen.received("session")[0]["token"]
    other_tab = await gw.citizen(token=token)
    replayed = await everything_after(other_tab, cid, 0, limit)
    assert [m["seq"] for m in replayed] == list(range(1, count + 1))
    assert replayed == history
    tail = await other_tab.ok("conversation:resume", {"conversation_id": cid,
                                                      "after_seq": count - 3})
    assert [m["seq"] for m in tail["messages"]] == [count - 2, count - 1, count]
    assert tail["has_more"] is False


async def test_pages_follow_the_limit_and_the_edges(gw: RunningGateway) -> None:
    citizen, officer, cid = await assigned_pair(gw)
    await post_many(citizen, cid, 12, text=lambda i: f"message {i}", batch=4)
    first = await officer.ok("conversation:resume", {"conversation_id": cid, "after_seq": 0,
                                                     "limit": 5})
    assert [m["seq"] for m in first["messages"]] == [1, 2, 3, 4, 5]
    assert first["has_more"] is True
    everything = await officer.ok("conversation:resume", {"conversation_id": cid})
    assert [m["seq"] for m in everything["messages"]] == list(range(1, 13))
    assert everything["has_more"] is False, "small histories still come in one answer"
    newest = await officer.ok("conversation:history", {"conversation_id": cid, "limit": 5})
    assert [m["seq"] for m in newest["messages"]] == [8, 9, 10, 11, 12]
    assert newest["has_more"] is True
    oldest = await officer.ok("conversation:history", {"conversation_id": cid,
                                                       "before_seq": 3, "limit": 5})
    assert [m["seq"] for m in oldest["messages"]] == [1, 2]
    assert oldest["has_more"] is False
    none = await officer.ok("conversation:history", {"conversation_id": cid, "before_seq": 1})
    assert none == {"ok": True, "messages": [], "has_more": False}
    for bad in ({"limit": 0}, {"limit": 10_000}, {"before_seq": -1}, {"limit": "5"}):
        refused = await officer.call("conversation:history", {"conversation_id": cid, **bad})
        assert refused["error"]["code"] == "bad_request"
    stranger = await gw.citizen()
    denied = await stranger.call("conversation:history", {"conversation_id": cid})
    assert denied["error"]["code"] in ("forbidden", "not_found")
