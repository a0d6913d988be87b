"""Load clients: each call is two aiortc peers (agent and citizen) replaying the clip.

Received media is counted frame by frame through the pass-through receiver tap, so
clients neither encode nor decode. Prints one JSON line of counters per call.

    python -m loadtest.video.clients --gateway http://127.0.0.1:8765 --clip clip.msgpack \
        --calls 10 --first 0 --warmup 5 --duration 30
"""

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription

from loadtest.video.clip import Clip, ReplayTrack, load
from rtc_gateway.rtc.ice import restrict_host_candidates, rtc_configuration
from rtc_gateway.rtc.passthrough import EncodedFrame, forward_keyframe_requests, tap_receiver


@dataclass
class Peer:
    pc: RTCPeerConnection
    sent: dict[str, ReplayTrack]
    received: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})

    def count(self, frame: EncodedFrame) -> None:
        self.received[frame.kind] += 1


def make_peer(clip: Clip) -> Peer:
    pc = RTCPeerConnection(rtc_configuration([]))
    tracks = {"audio": ReplayTrack("audio", clip.audio), "video": ReplayTrack("video", clip.video)}
    peer = Peer(pc=pc, sent=tracks)
    for kind, track in tracks.items():
        transceiver = pc.addTransceiver(track, direction="sendrecv")
        tap_receiver(transceiver.receiver, kind, peer.count)
        if kind == "video":
            forward_keyframe_requests(transceiver.sender, track.restart)
    return peer


async def connect(
    session: aiohttp.ClientSession, url: str, room_id: str, role: str, peer: Peer
) -> None:
    await peer.pc.setLocalDescription(await peer.pc.createOffer())
    body = {"room_id": room_id, "role": role, "sdp": peer.pc.localDescription.sdp}
    async with session.post(f"{url}/offer", json=body) as response:
        answer = await response.json()
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))


def counters(peers: dict[str, Peer]) -> dict[str, Any]:
    return {
        role: {"sent": {k: t.sent for k, t in p.sent.items()}, "received": dict(p.received)}
        for role, p in peers.items()
    }


async def one_call(
    session: aiohttp.ClientSession,
    url: str,
    clip: Clip,
    call_id: str,
    start_at: float,
    stop_at: float,
    end_at: float,
) -> dict[str, Any]:
    async with session.post(f"{url}/call", json={"call_id": call_id}) as response:
        room_id = (await response.json())["room_id"]
    peers = {"agent": make_peer(clip), "citizen": make_peer(clip)}
    for role, peer in peers.items():
        await connect(session, url, room_id, role, peer)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    before = counters(peers)
    await asyncio.sleep(max(0.0, stop_at - time.time()))
    after = counters(peers)
    await asyncio.sleep(max(0.0, end_at - time.time()))
    async with session.post(f"{url}/hangup", json={"room_id": room_id}) as response:
        hangup = await response.json()
    for peer in peers.values():
        await peer.pc.close()
    return {"call": call_id, "before": before, "after": after, "recording": hangup["recording"]}


async def run(args: argparse.Namespace) -> None:
    restrict_host_candidates(["127.0.0.1"])
    clip = load(args.clip)
    start_at = args.t0 + args.warmup
    stop_at = start_at + args.duration
    end_at = stop_at + 1.0
    cpu_start = os.times()
    async with aiohttp.ClientSession() as session:
        calls = [
            one_call(
                session, args.gateway, clip, f"call-{args.first + i}", start_at, stop_at, end_at
            )
            for i in range(args.calls)
        ]
        results = await asyncio.gather(*calls)
    cpu_end = os.times()
    cpu = (cpu_end.user + cpu_end.system) - (cpu_start.user + cpu_start.system)
    print(json.dumps({"calls": results, "client_cpu_s": cpu}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--t0", type=float, default=None, help="shared start (epoch s)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    if args.t0 is None:
        args.t0 = time.time()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
