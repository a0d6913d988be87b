"""The bus between the nodes of one service: a packet for a room or a client goes to the others.

Delivery is at most once. The evidence log is the source of truth: a client whose node
missed a packet (bus down, node restarting) gets the messages on ``conversation:resume``.
So ``publish`` never waits and never raises; a packet that cannot leave is counted and
dropped. Every node runs the same serializer, so a packet travels already encoded as
the Socket.IO frame the receiving node writes to its own members.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Target(StrEnum):
    ROOM = "room"
    CLIENT = "client"


@dataclass(frozen=True, slots=True)
class BusPacket:
    target: Target
    namespace: str
    address: str
    """The room's name, or the client's sid."""
    frame: str | bytes
    """The encoded Socket.IO packet, as the realtime server sends it to a socket."""
    skip_sid: str | None = None


Receiver = Callable[[BusPacket], None]
"""Called on the event loop for each packet another node published; must not block."""


class Bus(Protocol):
    @property
    def node_id(self) -> str: ...

    @property
    def connected(self) -> bool:
        """Whether packets currently leave and arrive (for readiness)."""
        ...

    async def start(self, receive: Receiver) -> None:
        """Begin delivering other nodes' packets to ``receive``; returns without waiting
        for the bus to be reachable (it connects, and reconnects, by itself)."""
        ...

    def publish(self, packet: BusPacket) -> None:
        """Send to every other node; never blocks, never raises."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters since start: ``published``, ``received``, ``dropped``, ``reconnects``."""
        ...

    async def close(self) -> None: ...
