"""Helpers of the video tests: participants, the ended-room recorder, connecting a client."""

import asyncio
from collections.abc import Callable

from rtc_gateway.services.video_rooms import Participant, RoomEnded, VideoRoomService
from tests.rtc.client_peer import ClientPeer

CITIZEN = Participant("citizen", "c-1")
AGENT = Participant("agent", "a-1")


class Ended:
    def __init__(self) -> None:
        self.events: list[RoomEnded] = []

    async def __call__(self, event: RoomEnded) -> None:
        self.events.append(event)


async def connect(
    svc: VideoRoomService, room_id: str, who: Participant, video_codec: str | None = None
) -> ClientPeer:
    await svc.join(room_id, who)
    client = ClientPeer()
    if video_codec is not None:
        client.prefer_video_codec(video_codec)
    sdp, type_ = await client.offer()
    answer_sdp, answer_type = await svc.offer(room_id, who, sdp, type_)
    await client.accept(answer_sdp, answer_type)
    return client


async def wait_for(predicate: Callable[[], bool], within_s: float) -> None:
    async with asyncio.timeout(within_s):
        while not predicate():  # noqa: ASYNC110 - counters live in aiortc callbacks
            await asyncio.sleep(0.05)
