"""The gateway side of the video load test, behind a minimal loopback HTTP signalling.

``passthrough``: the real :class:`VideoRoomService` (relay without transcoding, and
recording). ``transcode``: a plain aiortc relay for comparison, where each leg decodes
what it receives and the other leg re-encodes it (no recording).

    python -m loadtest.video.gateway --mode passthrough --port 8765 --dir /tmp/rec
"""

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceEntry
from rtc_gateway.rtc.ice import restrict_host_candidates, rtc_configuration
from rtc_gateway.services.video_rooms import Participant, RoomEnded, VideoRoomService


class DiscardEvidence:
    """The load test measures media; the evidence log has its own benchmark."""

    async def append(self, entry: EvidenceEntry) -> None:
        return None


class PassthroughGateway:
    def __init__(self, recordings: Path) -> None:
        self.ended: list[RoomEnded] = []
        self.service = VideoRoomService(
            evidence=DiscardEvidence(),  # type: ignore[arg-type]
            recordings_dir=recordings,
            ice_servers=[],
            clock=SystemClock(),
            on_room_ended=self._ended,
            host_addresses=["127.0.0.1"],
        )

    async def _ended(self, event: RoomEnded) -> None:
        self.ended.append(event)

    async def call(self, call_id: str) -> str:
        room = await self.service.start(call_id, Participant("agent", "agent"))
        return room.room_id

    async def offer(self, room_id: str, role: str, sdp: str) -> str:
        who = Participant(role, role)
        await self.service.join(room_id, who)
        answer, _ = await self.service.offer(room_id, who, sdp, "offer")
        return answer

    async def hangup(self, room_id: str) -> dict[str, Any]:
        room = self.service.room(room_id)
        if room is not None:
            await self.service.leave(room_id, room.started_by)
        done = next((e for e in self.ended if e.room_id == room_id), None)
        return {"recording": dict(done.recording) if done else None}

    def stats(self) -> dict[str, int]:
        return self.service.stats()

    async def close(self) -> None:
        await self.service.close()


class ForwardTrack(MediaStreamTrack):
    """Sends (re-encoded by aiortc) whatever the other leg's decoded track yields."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Any:
        source = await self.source
        return await source.recv()


class TranscodeGateway:
    def __init__(self) -> None:
        self.calls: dict[str, dict[str, tuple[RTCPeerConnection, dict[str, ForwardTrack]]]] = {}

    async def call(self, call_id: str) -> str:
        self.calls[call_id] = {}
        return call_id

    async def offer(self, room_id: str, role: str, sdp: str) -> str:
        pc = RTCPeerConnection(rtc_configuration([]))
        outbound = {kind: ForwardTrack(kind) for kind in ("audio", "video")}
        for track in outbound.values():
            pc.addTransceiver(track, direction="sendrecv")
        legs = self.calls[room_id]
        legs[role] = (pc, outbound)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            for other_role, (_, other_out) in legs.items():
                if other_role != role and not other_out[track.kind].source.done():
                    other_out[track.kind].source.set_result(track)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for other_role, (other_pc, _) in legs.items():
            if other_role == role:
                continue
            for transceiver in other_pc.getTransceivers():
                remote = transceiver.receiver.track
                if remote is not None and not outbound[remote.kind].source.done():
                    outbound[remote.kind].source.set_result(remote)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def hangup(self, room_id: str) -> dict[str, Any]:
        for pc, outbound in self.calls.pop(room_id, {}).values():
            for track in outbound.values():
                track.stop()
            with contextlib.suppress(MediaStreamError, Exception):
                await pc.close()
        return {"recording": None}

    def stats(self) -> dict[str, int]:
        return {}

    async def close(self) -> None:
        for room_id in list(self.calls):
            await self.hangup(room_id)


def make_app(gateway: PassthroughGateway | TranscodeGateway) -> web.Application:
    async def call(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"room_id": await gateway.call(body["call_id"])})

    async def offer(request: web.Request) -> web.Response:
        body = await request.json()
        answer = await gateway.offer(body["room_id"], body["role"], body["sdp"])
        return web.json_response({"sdp": answer, "type": "answer"})

    async def hangup(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(await gateway.hangup(body["room_id"]))

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(gateway.stats())

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/call", call)
    app.router.add_post("/offer", offer)
    app.router.add_post("/hangup", hangup)
    app.router.add_get("/healthz", health)
    app.router.add_get("/stats", stats)

    async def shutdown(_: web.Application) -> None:
        await gateway.close()

    app.on_shutdown.append(shutdown)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("passthrough", "transcode"), default="passthrough")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, default=None, help="recordings directory")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop (rtc-gateway serve runs uvloop)",
    )
    args = parser.parse_args()
    restrict_host_candidates(["127.0.0.1"])
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()

    async def build() -> web.Application:
        if args.mode == "passthrough":
            recordings = args.dir or Path(tempfile.mkdtemp(prefix="video-load-"))
            return make_app(PassthroughGateway(recordings))
        return make_app(TranscodeGateway())

    web.run_app(build(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
