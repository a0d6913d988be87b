"""An emit to a room is encoded only when someone will get it: a chat message goes to the
sender's own room too (skipping the sender), and that copy is never written."""

import json
from typing import Any

import aiohttp

from rtc_gateway.realtime.codecs import JsonCodec
from rtc_gateway.realtime.packets import EVENT
from tests.realtime.echo import serving
from tests.realtime.test_server import joined, next_message


class CountingCodec(JsonCodec):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def encode(self, kind: int, namespace: str, data: Any = None,
               ack_id: int | None = None) -> bytes:
        if kind == EVENT:
            self.events.append(data)
        return super().encode(kind, namespace, data, ack_id)


def heard(codec: CountingCodec, marker: str) -> int:
    return sum(1 for data in codec.events if data == ["heard", marker])


async def test_a_room_whose_only_member_is_skipped_is_not_encoded() -> None:
    codec = CountingCodec()
    async with serving(front_door=True, codec=codec) as (port, _), \
            aiohttp.ClientSession() as session:
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        alone = await joined(session, url)
        await alone.send_str('42/echo,1["join","mine"]')
        assert (await next_message(alone)).startswith("43/echo,1")
        await alone.send_str('42/echo,2["to_room","mine","to nobody",true]')
        assert (await next_message(alone)).startswith("43/echo,2")
        assert heard(codec, "to nobody") == 0

        other = await joined(session, url)
        await other.send_str('42/echo,1["join","mine"]')
        assert (await next_message(other)).startswith("43/echo,1")
        await alone.send_str('42/echo,3["to_room","mine","to the other",true]')
        assert json.loads((await next_message(other)).removeprefix("42/echo,")) == \
            ["heard", "to the other"]
        assert (await next_message(alone)).startswith("43/echo,3")
        assert heard(codec, "to the other") == 1
        await alone.close()
        await other.close()
