"""Socket.IO v5 packets, and the Engine.IO v4 packet types they travel in."""

from typing import Any, NamedTuple

CONNECT = 0
DISCONNECT = 1
EVENT = 2
ACK = 3
CONNECT_ERROR = 4
BINARY_EVENT = 5
BINARY_ACK = 6

ENGINE_OPEN = "0"
ENGINE_CLOSE = "1"
ENGINE_PING = "2"
ENGINE_PONG = "3"
ENGINE_MESSAGE = "4"
ENGINE_UPGRADE = "5"
ENGINE_NOOP = "6"

DEFAULT_NAMESPACE = "/"


class MalformedPacket(ValueError):
    """A frame that is not a Socket.IO packet; ``namespace``/``ack_id``/``kind`` when they
    were read."""

    def __init__(self, reason: str, namespace: str | None = None,
                 ack_id: int | None = None, kind: int | None = None) -> None:
        super().__init__(reason)
        self.namespace = namespace
        self.ack_id = ack_id
        self.kind = kind


class Packet(NamedTuple):
    """One per inbound frame: a tuple builds several times faster than a frozen
    dataclass."""

    kind: int
    namespace: str
    data: Any = None
    ack_id: int | None = None
    attachments: int = 0
